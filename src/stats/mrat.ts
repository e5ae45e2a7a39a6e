/**
 * Scoring one respondent's answers to a multi-subscale questionnaire (PVQ-style value instruments): subscale
 * means, the respondent's mean rating (MRAT) and MRAT-centred scores. Pure.
 */

/** The scoring key of one item: the subscale it belongs to (0-based) and whether it is reverse-keyed. */
export interface ItemKey {
  readonly subscale: number
  readonly reverse: boolean
}

/** One respondent's scores: per-subscale means, the MRAT, and the centred scores. */
export interface RespondentScores {
  /** raw[s] = mean of the answered items of subscale s (after reverse-keying); NaN if none was answered. */
  readonly raw: Float64Array
  /** centered[s] = raw[s] − mrat; NaN where raw[s] is NaN. */
  readonly centered: Float64Array
  /** The mean over all answered items (after reverse-keying); NaN if none was answered. */
  readonly mrat: number
}

/**
 * Scores one respondent:
 * - an answer x to a reverse-keyed item becomes (scaleMin + scaleMax) − x;
 * - raw[s] = mean of the answered items of subscale s;
 * - MRAT = mean over all answered items (of every subscale), the respondent's mean rating;
 * - centered[s] = raw[s] − MRAT, the value score corrected for individual differences in scale use
 *   (Schwartz's recommended correction for the PVQ).
 *
 * Missing-data policy: a `null` (or NaN) answer is missing and skipped: it counts in neither its subscale mean
 * nor the MRAT. A subscale with no answered item has raw and centered NaN; a respondent with no answered item
 * has MRAT NaN. (No minimum-answered rule is imposed here; apply one before or after.)
 *
 * Note: the centred scores sum to zero over subscales only when every subscale has the same number of answered
 * items, because the MRAT weights subscales by their item counts.
 *
 * Reference: Schwartz (2003/2016), "Computing scores for the 10 human values" (ESS methodology note);
 * DESIGN.md "Metrics".
 *
 * Preconditions: `keys.length === answers.length`; every subscale an integer in [0, nSubscales); every
 * non-missing answer in [scaleMin, scaleMax]; scaleMin < scaleMax.
 *
 * @throws {RangeError} when a precondition is violated (these are bugs upstream: answers are range-checked when
 * parsed, keys when the instrument is loaded).
 * @example
 * scoreRespondent([6, 1, 4, null], [
 *   { subscale: 0, reverse: false }, { subscale: 0, reverse: true },
 *   { subscale: 1, reverse: false }, { subscale: 1, reverse: false }
 * ], 2, 1, 6)
 * // raw = [6, 4] (the reversed 1 scores 6), mrat = 16/3 ≈ 5.333, centered = [0.667, −1.333]
 */
export const scoreRespondent = (
  answers: ArrayLike<number | null>,
  keys: ReadonlyArray<ItemKey>,
  nSubscales: number,
  scaleMin: number,
  scaleMax: number
): RespondentScores => {
  if (keys.length !== answers.length) {
    throw new RangeError(`scoreRespondent: ${answers.length} answers but ${keys.length} item keys`)
  }
  if (!Number.isInteger(nSubscales) || nSubscales < 1) {
    throw new RangeError(`scoreRespondent: nSubscales must be a positive integer, got ${nSubscales}`)
  }
  if (!(Number.isFinite(scaleMin) && Number.isFinite(scaleMax) && scaleMin < scaleMax)) {
    throw new RangeError(`scoreRespondent: need finite scaleMin < scaleMax, got ${scaleMin}, ${scaleMax}`)
  }
  const sums = new Float64Array(nSubscales)
  const counts = new Float64Array(nSubscales)
  let total = 0
  let answered = 0
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as ItemKey
    const s = key.subscale
    if (!Number.isInteger(s) || s < 0 || s >= nSubscales) {
      throw new RangeError(`scoreRespondent: item ${i} has subscale ${s}, outside 0…${nSubscales - 1}`)
    }
    const x = answers[i]
    if (x === null || x === undefined || Number.isNaN(x)) continue
    if (!(x >= scaleMin && x <= scaleMax)) {
      throw new RangeError(`scoreRespondent: item ${i} answer ${x} is outside the scale ${scaleMin}…${scaleMax}`)
    }
    const scored = key.reverse ? scaleMin + scaleMax - x : x
    sums[s] = (sums[s] as number) + scored
    counts[s] = (counts[s] as number) + 1
    total += scored
    answered += 1
  }
  const mrat = answered > 0 ? total / answered : NaN
  const raw = new Float64Array(nSubscales)
  const centered = new Float64Array(nSubscales)
  for (let s = 0; s < nSubscales; s++) {
    const n = counts[s] as number
    const r = n > 0 ? (sums[s] as number) / n : NaN
    raw[s] = r
    centered[s] = r - mrat
  }
  return { raw, centered, mrat }
}

/**
 * The same scoring as `scoreRespondent` for many respondents stored as one flat array (respondent r's answer to
 * item i at `from + i`, NaN missing), with the key checked once and nothing allocated per respondent: the
 * report scores a million agents with it. Writes raw[s][row] and centered[s][row]; returns the MRAT.
 *
 * @throws {RangeError} on a bad key (when made) or an answer outside the scale (when called), as `scoreRespondent`.
 */
export const respondentScorer = (keys: ReadonlyArray<ItemKey>, nSubscales: number, scaleMin: number, scaleMax: number) => {
  if (!Number.isInteger(nSubscales) || nSubscales < 1) {
    throw new RangeError(`respondentScorer: nSubscales must be a positive integer, got ${nSubscales}`)
  }
  if (!(Number.isFinite(scaleMin) && Number.isFinite(scaleMax) && scaleMin < scaleMax)) {
    throw new RangeError(`respondentScorer: need finite scaleMin < scaleMax, got ${scaleMin}, ${scaleMax}`)
  }
  const subscaleOf = Int32Array.from(keys, (k, i) => {
    if (!Number.isInteger(k.subscale) || k.subscale < 0 || k.subscale >= nSubscales) {
      throw new RangeError(`respondentScorer: item ${i} has subscale ${k.subscale}, outside 0…${nSubscales - 1}`)
    }
    return k.subscale
  })
  const reverse = Uint8Array.from(keys, (k) => (k.reverse ? 1 : 0))
  const sums = new Float64Array(nSubscales)
  const counts = new Float64Array(nSubscales)
  const n = keys.length
  return (answers: ArrayLike<number>, from: number, raw: ReadonlyArray<Float64Array>, centered: ReadonlyArray<Float64Array>, row: number): number => {
    sums.fill(0)
    counts.fill(0)
    let total = 0
    let answered = 0
    for (let i = 0; i < n; i++) {
      const x = answers[from + i]!
      if (Number.isNaN(x)) continue
      if (!(x >= scaleMin && x <= scaleMax)) throw new RangeError(`respondentScorer: item ${i} answer ${x} is outside the scale ${scaleMin}…${scaleMax}`)
      const scored = reverse[i] === 1 ? scaleMin + scaleMax - x : x
      const s = subscaleOf[i]!
      sums[s] = sums[s]! + scored
      counts[s] = counts[s]! + 1
      total += scored
      answered++
    }
    const mrat = answered > 0 ? total / answered : NaN
    for (let s = 0; s < nSubscales; s++) {
      const r = counts[s]! > 0 ? sums[s]! / counts[s]! : NaN
      raw[s]![row] = r
      centered[s]![row] = r - mrat
    }
    return mrat
  }
}
