// Manual check, not part of the build: V8 (Node 20) loads each module with only its declared
// imports stubbed and runs cpp-host's start sequence. Run from wasm-filters/target/wasm:
//   node ../../src/test/node/v8-start.js
const fs = require('fs');
for (const f of ['authz', 'telemetry', 'example']) {
  const mod = new WebAssembly.Module(fs.readFileSync(f + '.wasm'));
  let inst; const logs = [];
  const mem = () => new Uint8Array(inst.exports.memory.buffer);
  const imports = {};
  for (const i of WebAssembly.Module.imports(mod)) {
    imports[i.module] = imports[i.module] || {};
    imports[i.module][i.name] = (...a) => {
      if (i.name === 'proxy_log') { logs.push(Buffer.from(mem().slice(a[1], a[1] + a[2])).toString()); return 0; }
      if (i.name === 'proxy_get_buffer_bytes') return 1; // NotFound: empty configuration
      if (i.name === 'proxy_define_metric') return 0;
      return 0;
    };
  }
  inst = new WebAssembly.Instance(mod, imports);
  inst.exports._initialize();
  inst.exports.proxy_on_context_create(1, 0);
  const vm = inst.exports.proxy_on_vm_start(1, 0);
  const conf = inst.exports.proxy_on_configure(1, 0);
  console.log(f, 'imports', WebAssembly.Module.imports(mod).map(i => i.module + '.' + i.name).join(' '), '| vm_start', vm, 'configure', conf, '|', logs.join(' / '));
}
