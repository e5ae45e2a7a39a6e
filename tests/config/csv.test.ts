import { describe, expect, it } from "@effect/vitest"
import { parseCsv, tableFromJson } from "../../src/config/csv.js"

describe("parseCsv", () => {
  it("reads quoted fields with commas, doubled quotes and line breaks, CRLF and a BOM", () => {
    const r = parseCsv('\ufeffid,name,x\r\n1,"Smith, J.",3\r\n2,"say ""hi""\nthere",\r\n\r\n')
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.table.columns).toEqual(["id", "name", "x"])
    expect(r.table.rows).toEqual([
      { id: "1", name: "Smith, J.", x: "3" },
      { id: "2", name: 'say "hi"\nthere', x: "" }
    ])
  })

  it("accepts the unnamed index column pandas' to_csv() writes first, and no other unnamed column", () => {
    const r = parseCsv(",SD,ST\nSD,1,0.3\nST,0.3,1\n")
    expect(r.ok && r.table.columns).toEqual(["", "SD", "ST"])
    expect(r.ok && r.table.rows[1]).toEqual({ "": "ST", SD: "0.3", ST: "1" })
    expect(parseCsv("a,,b\n1,2,3\n")).toEqual({ ok: false, problems: ["line 1, column 2: empty column name"] })
  })

  it("reads a last line without a line break", () => {
    const r = parseCsv("a,b\n1,2")
    expect(r.ok && r.table.rows).toEqual([{ a: "1", b: "2" }])
  })

  it("names the line of a row with the wrong number of fields, an unclosed quote and a duplicate column", () => {
    expect(parseCsv("a,b\n1,2\n3\n")).toEqual({ ok: false, problems: ["line 3: 1 fields but the header has 2"] })
    const q = parseCsv('a,b\n1,"2\n')
    expect(q.ok).toBe(false)
    if (!q.ok) expect(q.problems[0]).toContain("not closed")
    const d = parseCsv("a,a\n1,2\n")
    expect(d.ok).toBe(false)
    if (!d.ok) expect(d.problems[0]).toContain('column "a" appears twice')
    expect(parseCsv("").ok).toBe(false)
  })
})

describe("tableFromJson", () => {
  it("reads an array of flat records", () => {
    const r = tableFromJson([{ a: 1, b: "x" }, { a: null, c: 2 }])
    expect(r.ok && r.table.columns).toEqual(["a", "b", "c"])
    expect(r.ok && r.table.rows[1]).toEqual({ a: null, c: 2 })
  })

  it("reads an object of nested records keyed by id, with the key in _key and dotted column names", () => {
    const r = tableFromJson({ P1: { pvq: { Power: 0.5 }, bfi: { Openness: 3 } } })
    expect(r.ok && r.table.rows).toEqual([{ _key: "P1", "pvq.Power": 0.5, "bfi.Openness": 3 }])
  })

  it("rejects other shapes", () => {
    expect(tableFromJson(3).ok).toBe(false)
    expect(tableFromJson([1, 2]).ok).toBe(false)
    expect(tableFromJson([]).ok).toBe(false)
  })
})
