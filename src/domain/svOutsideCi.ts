/**
 * An S_V outside its own bootstrap CI is never printed without a word. S_V of a sample and S_V of its bootstrap
 * resamples differ systematically when the sample is small or has little value structure: a resample drawn with
 * replacement repeats respondents, which changes the correlation matrix (and so the map) in one direction, and
 * S_V, a Procrustes fit, is biased by noise (a noisy matrix still fits a human map part of the way: the chance
 * level). The percentile CI is then centred on the resamples' S_V, not on the sample's, and may miss it.
 */

export const outsideCi = (sv: number | null, lower: number | null, upper: number | null): boolean =>
  sv !== null && lower !== null && upper !== null && (sv < lower || sv > upper)

const f3 = (x: number) => x.toFixed(3)

/** The sentence for an S_V outside its CI; null when it lies inside (or either is unknown). */
export const outsideCiNote = (
  sv: number | null,
  ci: { readonly lower: number | null; readonly upper: number | null },
  bootstrapMean: number | null
): string | null => {
  if (!outsideCi(sv, ci.lower, ci.upper)) return null
  const mean = bootstrapMean === null ? "" : ` (bootstrap mean ${f3(bootstrapMean)})`
  return (
    `S_V ${f3(sv!)} lies outside its own CI ${f3(ci.lower!)}–${f3(ci.upper!)}${mean}: at a small or structureless sample S_V is ` +
    `biased and resamples (drawn with replacement, repeating respondents) shift it, so the CI does not surround it; ` +
    `read it against the chance level, not as a precise figure`
  )
}
