// The reference for `engineVsBareOpenai`: a bare loop over the same `openai` package, in its own process,
// with its own fixed prompt and nothing else (no scheduler, no store). `concurrency` loops share one client
// with the SDK's default transport. Prints one JSON line.
//   node bench/bareOpenai.mjs BASE_URL REQUESTS CONCURRENCY
import OpenAI from "openai"

const [baseURL, requestsArg, concurrencyArg] = process.argv.slice(2)
const requests = Number(requestsArg)
const concurrency = Number(concurrencyArg)
if (baseURL === undefined || !(requests > 0) || !(concurrency > 0)) {
  process.stderr.write("usage: node bench/bareOpenai.mjs BASE_URL REQUESTS CONCURRENCY\n")
  process.exit(2)
}
const client = new OpenAI({ baseURL, apiKey: "bench", maxRetries: 0 })
const messages = [
  { role: "system", content: "You are taking part in a survey. Answer as yourself." },
  {
    role: "user",
    content:
      "Description: This person wants to be someone their friends and family can always count on.\n\nHow much is this person like you?\n1. Not like me at all\n2. Not like me\n3. A little like me\n4. Somewhat like me\n5. Like me\n6. Very much like me\n\nReply with only the number of one option, from 1 to 6."
  }
]
const once = () => client.chat.completions.create({ model: "fake-model", messages, max_tokens: 4, temperature: 1 })

await once() // opens the first connection and warms the code paths, as the engine's probe does
let next = 0
const cpu0 = process.cpuUsage()
const t0 = performance.now()
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < requests) {
      next++
      await once()
    }
  })
)
const seconds = (performance.now() - t0) / 1000
const cpu = process.cpuUsage(cpu0)
process.stdout.write(
  `${JSON.stringify({ requests, seconds, requestsPerSecond: requests / seconds, cpuMsPerRequest: (cpu.user + cpu.system) / 1000 / requests })}\n`
)
