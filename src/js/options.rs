//! Reading option objects passed from JavaScript. The object is snapshotted once with
//! `JSON.stringify` (getters run once, so options cannot change between the checks and their
//! use; a `BigInt` or a cycle is a caller mistake) and read by the core's strict JSON reader.
//! Measured against `serde-wasm-bindgen` deserialization: that pulls float formatting into the
//! module for its error messages (~+19.6 kB gzip), this costs nothing the module does not
//! already have. Anything of the wrong type is [`ErrorCode::InvalidConfig`]: a caller mistake
//! is reported, never guessed around. `null` members read as absent.

use alloc::string::String;
use alloc::vec::Vec;

use crate::core::error::{Error, ErrorCode};
use crate::core::json::{self, Value};

fn invalid() -> Error {
    ErrorCode::InvalidConfig.into()
}

/// An options argument: `null` (from `undefined`) reads as an empty object unless required.
pub(crate) struct Options(Value);

impl Options {
    /// Snapshots a JavaScript options argument (`undefined` and `null` read as absent).
    pub(crate) fn read(value: &wasm_bindgen::JsValue, required: bool) -> Result<Self, Error> {
        if value.is_undefined() || value.is_null() {
            return Self::from_value(Value::Null, required);
        }
        if !value.is_object() || value.is_function() {
            return Err(invalid());
        }
        let text = js_sys::JSON::stringify(value).map_err(|_| invalid())?;
        let text = text.as_string().ok_or_else(invalid)?;
        Self::from_value(json::parse(text.as_bytes()).map_err(|_| invalid())?, required)
    }

    fn from_value(value: Value, required: bool) -> Result<Self, Error> {
        match value {
            Value::Null if !required => Ok(Options(Value::Object(Vec::new()))),
            v @ Value::Object(_) => Ok(Options(v)),
            _ => Err(invalid()),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !matches!(v, Value::Null))
    }

    pub(crate) fn string(&self, key: &str) -> Result<Option<&str>, Error> {
        self.get(key).map(|v| v.as_str().ok_or_else(invalid)).transpose()
    }

    pub(crate) fn required_string(&self, key: &str) -> Result<&str, Error> {
        self.string(key)?.filter(|s| !s.is_empty()).ok_or_else(invalid)
    }

    pub(crate) fn boolean(&self, key: &str) -> Result<Option<bool>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(invalid()),
        }
    }

    pub(crate) fn u32_in(&self, key: &str, min: u32, max: u32) -> Result<Option<u32>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.as_f64() {
                Some(n) if n >= f64::from(min) && n <= f64::from(max) && n == f64::from(n as u32) => Ok(Some(n as u32)),
                _ => Err(invalid()),
            },
        }
    }

    /// `string[]` → strings.
    pub(crate) fn string_list(&self, key: &str) -> Result<Option<Vec<&str>>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items.iter().map(|i| i.as_str().ok_or_else(invalid)).collect::<Result<_, _>>().map(Some),
            Some(_) => Err(invalid()),
        }
    }

    /// `Record<string, string | string[]>` → ordered pairs.
    pub(crate) fn params(&self, key: &str) -> Result<Vec<(String, String)>, Error> {
        let members = match self.get(key) {
            None => return Ok(Vec::new()),
            Some(Value::Object(m)) => m,
            Some(_) => return Err(invalid()),
        };
        let mut out = Vec::new();
        for (name, value) in members {
            match value {
                Value::String(s) => out.push((name.clone(), s.clone())),
                Value::Array(items) => {
                    for item in items {
                        out.push((name.clone(), item.as_str().map(String::from).ok_or_else(invalid)?));
                    }
                }
                _ => return Err(invalid()),
            }
        }
        Ok(out)
    }
}
