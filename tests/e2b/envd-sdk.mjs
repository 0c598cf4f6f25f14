// Drives the unmodified e2b SDK against the envd endpoints hosted by Sandbox86.ServerTests (with a
// test-only fake POST /sandboxes). Prints one JSON line of results; exits non-zero on a failed check.
import { Sandbox, CommandExitError } from 'e2b'
import { createHash, randomBytes } from 'node:crypto'

const checks = {}
const step = async (name, fn) => {
  try { checks[name] = (await fn()) ? 'ok' : 'FAIL' } catch (e) { checks[name] = 'FAIL: ' + (e?.stack ?? e) }
}
const sbx = await Sandbox.create({ timeoutMs: 300_000 })

await step('run', async () => {
  const r = await sbx.commands.run('echo out; echo err >&2; echo $FOO; pwd', { envs: { FOO: 'bar' }, cwd: '/tmp' })
  return r.stdout === 'out\nbar\n/tmp\n' && r.stderr === 'err\n' && r.exitCode === 0
})
await step('exit', async () => {
  try { await sbx.commands.run('exit 7'); return false } catch (e) { return e instanceof CommandExitError && e.exitCode === 7 }
})
await step('timeout', async () => {
  const t0 = Date.now()
  try { await sbx.commands.run('sleep 30', { timeoutMs: 1500 }); return false } catch { return Date.now() - t0 < 15000 }
})
await step('background', async () => {
  const bg = await sbx.commands.run('read line; echo got $line; sleep 60', { background: true, stdin: true })
  const listed = await sbx.commands.list()
  if (!listed.some(p => p.pid === bg.pid)) return false
  await sbx.commands.sendStdin(bg.pid, 'hello\n')
  // The echo reaches the handle when the guest gets CPU: poll for it (a loaded machine takes seconds), not a fixed wait.
  for (const t0 = Date.now(); !bg.stdout.includes('got hello') && Date.now() - t0 < 20000;) await new Promise(res => setTimeout(res, 100))
  const re = await sbx.commands.connect(bg.pid)
  const killed = await sbx.commands.kill(bg.pid)
  try { await re.wait() } catch { /* killed: CommandExitError */ }
  const after = await sbx.commands.list()
  checks.stdinSeen = (bg.stdout + re.stdout).includes('got hello') ? 'ok' : 'FAIL: ' + JSON.stringify(bg.stdout + re.stdout)
  return killed && !after.some(p => p.pid === bg.pid)
})
const h = b => createHash('sha256').update(b).digest('hex')
await step('text', async () => {
  await sbx.files.write('/tmp/sdk/t.txt', 'hello text')
  return (await sbx.files.read('/tmp/sdk/t.txt')) === 'hello text'
})
await step('binary5MB', async () => {
  const blob = randomBytes(5 * 1024 * 1024)
  await sbx.files.write('/tmp/sdk/blob.bin', blob)
  return h(Buffer.from(await sbx.files.read('/tmp/sdk/blob.bin', { format: 'bytes' }))) === h(blob)
})
await step('makeDir', async () => (await sbx.files.makeDir('/tmp/sdk/d')) === true)
await step('watchDir', async () => {
  const seen = []
  const handle = await sbx.files.watchDir('/tmp/sdk', e => seen.push(e))
  await sbx.files.write('/tmp/sdk/d/w.txt', 'x')
  await sbx.commands.run('touch /tmp/sdk/new.txt')
  for (let i = 0; i < 20 && !seen.some(e => e.name === 'new.txt'); i++) await new Promise(r => setTimeout(r, 250))
  await handle.stop()
  await sbx.files.remove('/tmp/sdk/new.txt')
  const ok = seen.some(e => e.name === 'new.txt' && e.type === 'create') && !seen.some(e => e.name.endsWith('/w.txt'))
  if (!ok) checks.watchSeen = 'FAIL: ' + JSON.stringify(seen)
  return ok
})
await step('list', async () => JSON.stringify((await sbx.files.list('/tmp/sdk')).map(e => e.name).sort()) === '["blob.bin","d","t.txt"]')
await step('rename', async () => {
  await sbx.files.rename('/tmp/sdk/t.txt', '/tmp/sdk/u.txt')
  return (await sbx.files.exists('/tmp/sdk/u.txt')) && !(await sbx.files.exists('/tmp/sdk/t.txt'))
})
await step('getInfo', async () => {
  const info = await sbx.files.getInfo('/tmp/sdk/blob.bin')
  return info.size === 5 * 1024 * 1024 && info.type === 'file'
})
await step('remove', async () => { await sbx.files.remove('/tmp/sdk'); return !(await sbx.files.exists('/tmp/sdk')) })

const n = Number(process.env.SDK_RUNS ?? 100)
const times = []
for (let i = 0; i < n; i++) { const s = performance.now(); await sbx.commands.run('true'); times.push(performance.now() - s) }
times.sort((a, b) => a - b)
const ten = randomBytes(10 * 1024 * 1024)
let s = performance.now(); await sbx.files.write('/tmp/ten.bin', ten); const w10 = performance.now() - s
s = performance.now(); const ten2 = Buffer.from(await sbx.files.read('/tmp/ten.bin', { format: 'bytes' })); const r10 = performance.now() - s
checks.tenMB = h(ten2) === h(ten) ? 'ok' : 'FAIL'
const failed = Object.values(checks).some(v => v !== 'ok')
console.log(JSON.stringify({ checks, runs: n, trueMedianMs: times[n >> 1], write10MbMs: w10, read10MbMs: r10 }))
process.exit(failed ? 1 : 0)
