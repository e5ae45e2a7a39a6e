const { faultThroughput } = await import(process.cwd() + "/bench/faultThroughput.ts")
console.log(JSON.stringify(await faultThroughput(100, 32, 0)))
