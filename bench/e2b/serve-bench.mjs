// Times the unmodified E2B SDK against a sandbox86 serve named by E2B_API_URL / E2B_SANDBOX_URL;
// run by bench/Sandbox86.Bench (suite serve). Prints one JSON object of millisecond samples.
import { Sandbox } from 'e2b'

const runs = Number(process.env.BENCH_RUNS ?? 5)
const roundTrips = Number(process.env.BENCH_ROUND_TRIPS ?? 200)
const now = () => performance.now()
const result = { createToFirstStdout: [], runTrue: [], write10MB: [], read10MB: [], pause: [], resume: [] }

for (let i = 0; i < runs; i++) {
  const t = now()
  const sbx = await Sandbox.create({ timeoutMs: 600_000 })
  let first = 0
  await sbx.commands.run('echo hi', { onStdout: () => { if (!first) first = now() } })
  result.createToFirstStdout.push(first - t)
  await sbx.kill()
}

const sbx = await Sandbox.create({ timeoutMs: 600_000 })
for (let i = 0; i < roundTrips; i++) {
  const t = now()
  await sbx.commands.run('true')
  result.runTrue.push(now() - t)
}

const data = new Uint8Array(10 * 1024 * 1024)
for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24
for (let i = 0; i < runs; i++) {
  let t = now()
  await sbx.files.write('/home/user/bench.bin', data.buffer)
  result.write10MB.push(now() - t)
  t = now()
  const back = await sbx.files.read('/home/user/bench.bin', { format: 'bytes' })
  result.read10MB.push(now() - t)
  if (back.length !== data.length) throw new Error(`read back ${back.length} bytes`)
}

let current = sbx
for (let i = 0; i < Math.min(runs, 3); i++) {
  let t = now()
  await current.pause()
  result.pause.push(now() - t)
  t = now()
  current = await Sandbox.connect(sbx.sandboxId, { timeoutMs: 600_000 })
  const r = await current.commands.run('test -s /home/user/bench.bin && echo kept')
  result.resume.push(now() - t)
  if (r.stdout.trim() !== 'kept') throw new Error('the resumed sandbox lost its file')
}

await current.kill()
console.log(JSON.stringify(result))
