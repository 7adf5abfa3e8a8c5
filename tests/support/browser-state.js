// Everything a page's origin persisted or shows, collected inside the page (pass this function to
// playwright's page.evaluate): web storage, IndexedDB contents, Cache Storage, document.cookie,
// the URL, history.state and the title. Shared by the e2e harness and the hostile driver, which
// add what only the browser context knows (cookies of other origins, navigation history).
export async function collectBrowserState() {
  const webStorage = (s) => Object.fromEntries(Array.from({ length: s.length }, (_, i) => {
    const k = s.key(i);
    return [k, s.getItem(k)];
  }));
  const databases = indexedDB.databases ? await indexedDB.databases() : [];
  const idbContents = [];
  for (const { name } of databases) {
    // eslint-disable-next-line no-await-in-loop
    idbContents.push(await new Promise((resolve) => {
      const open = indexedDB.open(name);
      open.onerror = () => resolve({ name, error: String(open.error) });
      open.onsuccess = () => {
        const db = open.result;
        const stores = Array.from(db.objectStoreNames);
        if (!stores.length) { db.close(); resolve({ name, stores: {} }); return; }
        const tx = db.transaction(stores, 'readonly');
        const out = {};
        for (const store of stores) {
          const req = tx.objectStore(store).getAll();
          req.onsuccess = () => { out[store] = req.result; };
        }
        tx.oncomplete = () => { db.close(); resolve({ name, stores: out }); };
        tx.onerror = () => { db.close(); resolve({ name, error: String(tx.error) }); };
      };
    }));
  }
  const cacheEntries = [];
  if (globalThis.caches) {
    for (const key of await caches.keys()) {
      // eslint-disable-next-line no-await-in-loop
      const cache = await caches.open(key);
      // eslint-disable-next-line no-await-in-loop
      for (const req of await cache.keys()) cacheEntries.push(`${key} ${req.url}`);
    }
  }
  return {
    href: location.href,
    localStorage: webStorage(localStorage),
    sessionStorage: webStorage(sessionStorage),
    indexedDB: { databases, contents: idbContents },
    cacheStorage: cacheEntries,
    documentCookie: document.cookie,
    historyState: JSON.stringify(history.state),
    title: document.title,
  };
}
