/**
 * Names that become parts of file and folder names (study, questionnaire and game ids), and the check that
 * every path the tool writes stays inside the folder it belongs to.
 */
import { Either, Schema } from "effect"
import * as path from "node:path"
import { escapeControl } from "../domain/printable.js"
import { SpecFileError } from "./SpecFileError.js"

/** Letters, digits, '.', '_' and '-', starting with a letter or digit, at most 100 characters. */
export const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/

export const SAFE_ID_RULE = "use 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit (it becomes part of folder names)"

/** A spec id that is safe as a file name; one message whatever is wrong with it. */
export const SafeId = Schema.String.pipe(
  Schema.filter((s) => SAFE_ID.test(s) || `"${escapeControl(s)}" is not a safe id: ${SAFE_ID_RULE}`)
)

/** True when `target` resolves to `folder` itself or somewhere below it. */
export const isInside = (folder: string, target: string): boolean => {
  const rel = path.relative(path.resolve(folder), path.resolve(target))
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel))
}

/**
 * `folder/name`, or a SpecFileError naming `field` when the result would land outside `folder` (an absolute
 * name, '..' segments): every file and folder the tool creates from a name goes through here.
 */
export const pathInside = (folder: string, name: string, field: string): Either.Either<string, SpecFileError> => {
  const target = path.join(folder, name)
  const rel = path.relative(path.resolve(folder), path.resolve(target))
  return rel !== "" && isInside(folder, target) && !path.isAbsolute(name)
    ? Either.right(target)
    : Either.left(new SpecFileError({ file: folder, problems: [`${field}: "${escapeControl(name)}" would be written outside ${folder}`] }))
}
