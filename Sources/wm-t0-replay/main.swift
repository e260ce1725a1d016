// wm-t0-replay: the storage-manager simulator (streamer files and SM documents for a Tier-0 replay).
//
// Usage: wm-t0-replay --spool DIR [--runs R] [--lumis N] [--instances M] [--shuffle] [--late-instance] ... (see --help)
import Foundation
import StorageManagerReplay

let output = ReplayOutput()
let code = ReplayCommand.run(Array(CommandLine.arguments.dropFirst()), output: output)
FileHandle.standardOutput.write(Data(output.stdout.utf8))
FileHandle.standardError.write(Data(output.stderr.utf8))
exit(code)
