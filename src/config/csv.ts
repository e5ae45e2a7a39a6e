/**
 * Tabular data files for `valuesim baseline derive`: a tiny RFC-4180 CSV reader and the JSON shapes the public
 * value datasets come in. Pure (no I/O): the caller reads the text.
 */

/** A parsed table: the header and one record per data row. A cell absent from a record is missing. */
export interface Table {
  readonly columns: ReadonlyArray<string>
  readonly rows: ReadonlyArray<Readonly<Record<string, string | number | null>>>
}

/** The parse outcome: a table, or the problems found (each "where: message"). */
export type TableResult = { readonly ok: true; readonly table: Table } | { readonly ok: false; readonly problems: ReadonlyArray<string> }

/**
 * Parses CSV text (RFC 4180): comma-separated fields, fields in double quotes may hold commas, line breaks and
 * doubled quotes (`""`), records end with CRLF or LF, the first record is the header. A UTF-8 byte-order mark
 * and blank lines are ignored. Every data row must have as many fields as the header.
 */
export const parseCsv = (text: string): TableResult => {
  const records: Array<{ line: number; fields: Array<string> }> = []
  const problems: Array<string> = []
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0
  let line = 1
  let field = ""
  let fields: Array<string> = []
  let recordLine = 1
  let quoted = false
  let fieldStarted = false
  const endField = () => {
    fields.push(field)
    field = ""
    fieldStarted = false
  }
  const endRecord = () => {
    endField()
    records.push({ line: recordLine, fields })
    fields = []
  }
  while (i < text.length) {
    const c = text[i]!
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i += 2
          continue
        }
        quoted = false
        i++
        const next = text[i]
        if (next !== undefined && next !== "," && next !== "\n" && next !== "\r") {
          problems.push(`line ${line}: text after a closing quote (a quote inside a quoted field must be doubled)`)
          while (i < text.length && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r") i++
        }
        continue
      }
      if (c === "\n") line++
      field += c
      i++
      continue
    }
    if (c === '"' && !fieldStarted && field === "") {
      quoted = true
      fieldStarted = true
      i++
      continue
    }
    if (c === ",") {
      endField()
      i++
      continue
    }
    if (c === "\r" || c === "\n") {
      endRecord()
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1
      line++
      recordLine = line
      continue
    }
    field += c
    fieldStarted = true
    i++
  }
  if (quoted) problems.push(`line ${recordLine}: a quoted field is not closed`)
  if (field !== "" || fields.length > 0 || fieldStarted) endRecord()
  if (problems.length > 0) return { ok: false, problems }
  // Blank lines (one empty unquoted field) carry no data.
  const nonBlank = records.filter((r) => !(r.fields.length === 1 && r.fields[0] === ""))
  const header = nonBlank[0]
  if (header === undefined) return { ok: false, problems: ["the file is empty (a header row is needed)"] }
  const columns = header.fields.map((f) => f.trim())
  const seen = new Set<string>()
  columns.forEach((c, j) => {
    // An empty first name is the index column pandas' to_csv() writes (row labels); any other must be named.
    if (c === "" && j > 0) problems.push(`line 1, column ${j + 1}: empty column name`)
    else if (seen.has(c)) problems.push(`line 1: column "${c}" appears twice`)
    seen.add(c)
  })
  const rows: Array<Record<string, string>> = []
  for (const r of nonBlank.slice(1)) {
    if (r.fields.length !== columns.length) {
      problems.push(`line ${r.line}: ${r.fields.length} fields but the header has ${columns.length}`)
      continue
    }
    const row: Record<string, string> = {}
    columns.forEach((c, j) => (row[c] = r.fields[j]!))
    rows.push(row)
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, table: { columns, rows } }
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x)

/** Flattens nested objects into dotted keys: `{ pvq: { Power: 1 } }` → `{ "pvq.Power": 1 }`. */
const flatten = (record: Record<string, unknown>, prefix: string, out: Record<string, string | number | null>) => {
  for (const [k, v] of Object.entries(record)) {
    const key = prefix === "" ? k : `${prefix}.${k}`
    if (isRecord(v)) flatten(v, key, out)
    else if (v === null || typeof v === "number" || typeof v === "string") out[key] = v
    else if (typeof v === "boolean") out[key] = String(v)
    else out[key] = JSON.stringify(v)
  }
}

/** The column that holds the key of each record when the JSON data is an object of records. */
export const JSON_KEY_COLUMN = "_key"

/**
 * Reads parsed JSON data as a table. Accepted shapes: an array of records, or an object whose values are records
 * (one row per key, the key in column `_key`, as in the Value Portrait `value.json`). Nested objects become
 * dotted column names (`pvq.Benevolence`); `null` is a missing cell; arrays and booleans are kept as text (and so
 * are non-numeric if used as numbers).
 */
export const tableFromJson = (data: unknown): TableResult => {
  const problems: Array<string> = []
  const rows: Array<Record<string, string | number | null>> = []
  const columns: Array<string> = []
  const seen = new Set<string>()
  const add = (record: unknown, where: string, key?: string) => {
    if (!isRecord(record)) {
      problems.push(`${where}: expected a record (an object of column: value), got ${Array.isArray(record) ? "an array" : typeof record}`)
      return
    }
    const row: Record<string, string | number | null> = {}
    if (key !== undefined) row[JSON_KEY_COLUMN] = key
    flatten(record, "", row)
    for (const c of Object.keys(row)) {
      if (!seen.has(c)) {
        seen.add(c)
        columns.push(c)
      }
    }
    rows.push(row)
  }
  if (Array.isArray(data)) data.forEach((r, i) => add(r, `[${i}]`))
  else if (isRecord(data)) for (const [k, r] of Object.entries(data)) add(r, k, k)
  else return { ok: false, problems: ["expected an array of records or an object of records keyed by id"] }
  if (rows.length === 0) return { ok: false, problems: ["the data holds no records"] }
  if (problems.length > 0) return { ok: false, problems: problems.slice(0, 10).concat(problems.length > 10 ? [`… and ${problems.length - 10} more`] : []) }
  return { ok: true, table: { columns, rows } }
}
