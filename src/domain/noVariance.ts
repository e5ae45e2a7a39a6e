/**
 * What is said wherever S_V would be shown (dashboard, closing line, report) when it cannot be computed because
 * some values' scores do not vary across respondents: a model that answers the same to everything gives every
 * respondent the same centered score on every value, so there are no value correlations to compare.
 */

/** The labels whose column has a NaN diagonal in a correlation matrix (a score constant over the respondents). */
export const constantLabels = (labels: ReadonlyArray<string>, matrix: ReadonlyArray<ReadonlyArray<number>>): Array<string> =>
  labels.filter((_, j) => Number.isNaN(matrix[j]?.[j] ?? NaN))

/** The sentence for `constant` (of `labels`); null when every value varies. */
export const noVarianceNote = (labels: ReadonlyArray<string>, constant: ReadonlyArray<string>): string | null => {
  if (constant.length === 0) return null
  return constant.length === labels.length
    ? "no variance in the answers: every respondent has the same score on every value (did the model answer the same to everything?), so there are no value correlations and no S_V"
    : `no variance in the answers on ${constant.join(", ")}: every respondent has the same score there, so those values have no correlations and there is no S_V`
}
