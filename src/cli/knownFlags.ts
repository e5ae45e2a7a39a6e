/**
 * The flags a command takes, read from its own help (so they never drift from the options it declares), for
 * argument errors that suggest the flag a user meant (`--agent` → `--agents`).
 */
import { CliConfig, Command, CommandDescriptor, HelpDoc } from "@effect/cli"
import { HashMap, Option } from "effect"
import { cli } from "./Cli.js"

const flagsIn = (help: HelpDoc.HelpDoc): Array<string> => [...new Set(HelpDoc.toAnsiText(help).match(/--[a-z][a-z-]*/g) ?? [])]

/** The flags of `command` (`run`, `baseline derive`; null: every command's), or every command's when it is not found. */
export const knownFlags = (command: string | null): Array<string> => {
  const all = () => flagsIn(Command.getHelp(cli, CliConfig.defaultConfig))
  if (command === null) return all()
  const [first, ...rest] = command.split(" ")
  let found = HashMap.get(Command.getSubcommands(cli), first!)
  for (const name of rest) {
    // A group's descriptor lists itself first; its subcommands sit one level down.
    found = Option.flatMap(found, (d) => {
      for (const [, inner] of CommandDescriptor.getSubcommands(d)) {
        const hit = HashMap.get(CommandDescriptor.getSubcommands(inner), name)
        if (Option.isSome(hit)) return hit
      }
      return HashMap.get(CommandDescriptor.getSubcommands(d), name)
    })
  }
  return Option.match(found, { onNone: all, onSome: (d) => flagsIn(CommandDescriptor.getHelp(d, CliConfig.defaultConfig)) })
}
