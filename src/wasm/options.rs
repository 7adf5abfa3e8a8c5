//! Reading option objects passed from JavaScript. Anything of the wrong type is
//! [`ErrorCode::InvalidConfig`]: a caller mistake is reported, never guessed around.

use alloc::string::String;
use alloc::vec::Vec;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::core::error::{Error, ErrorCode};

fn invalid() -> Error {
    ErrorCode::InvalidConfig.into()
}

/// An options argument: `undefined`/`null` read as an empty object.
pub(crate) struct Options(JsValue);

impl Options {
    pub(crate) fn new(value: JsValue, required: bool) -> Result<Self, Error> {
        if value.is_undefined() || value.is_null() {
            return if required { Err(invalid()) } else { Ok(Options(Object::new().into())) };
        }
        if !value.is_object() {
            return Err(invalid());
        }
        Ok(Options(value))
    }

    fn get(&self, key: &str) -> Result<Option<JsValue>, Error> {
        let v = Reflect::get(&self.0, &JsValue::from_str(key)).map_err(|_| invalid())?;
        Ok(if v.is_undefined() || v.is_null() { None } else { Some(v) })
    }

    pub(crate) fn string(&self, key: &str) -> Result<Option<String>, Error> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => v.as_string().map(Some).ok_or_else(invalid),
        }
    }

    pub(crate) fn required_string(&self, key: &str) -> Result<String, Error> {
        self.string(key)?.filter(|s| !s.is_empty()).ok_or_else(invalid)
    }

    pub(crate) fn boolean(&self, key: &str) -> Result<Option<bool>, Error> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => v.as_bool().map(Some).ok_or_else(invalid),
        }
    }

    pub(crate) fn u32_in(&self, key: &str, min: u32, max: u32) -> Result<Option<u32>, Error> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => match v.as_f64() {
                Some(n) if n >= min as f64 && n <= max as f64 && n == (n as u32) as f64 => Ok(Some(n as u32)),
                _ => Err(invalid()),
            },
        }
    }

    /// `string[]` → strings.
    pub(crate) fn string_list(&self, key: &str) -> Result<Option<Vec<String>>, Error> {
        let Some(v) = self.get(key)? else { return Ok(None) };
        if !Array::is_array(&v) {
            return Err(invalid());
        }
        Array::from(&v).iter().map(|item| item.as_string().ok_or_else(invalid)).collect::<Result<Vec<_>, _>>().map(Some)
    }

    /// `Record<string, string | string[]>` → ordered pairs.
    pub(crate) fn params(&self, key: &str) -> Result<Vec<(String, String)>, Error> {
        let Some(obj) = self.get(key)? else { return Ok(Vec::new()) };
        if !obj.is_object() || Array::is_array(&obj) {
            return Err(invalid());
        }
        let mut out = Vec::new();
        for entry in Object::entries(obj.unchecked_ref()).iter() {
            let pair: Array = entry.dyn_into().map_err(|_| invalid())?;
            let name = pair.get(0).as_string().ok_or_else(invalid)?;
            let value = pair.get(1);
            if let Some(s) = value.as_string() {
                out.push((name, s));
            } else if Array::is_array(&value) {
                for item in Array::from(&value).iter() {
                    out.push((name.clone(), item.as_string().ok_or_else(invalid)?));
                }
            } else {
                return Err(invalid());
            }
        }
        Ok(out)
    }
}

/// Sets `obj[key] = value` on an object we created.
pub(crate) fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}
