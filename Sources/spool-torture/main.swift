// spool-torture: drives the spool substrate hard so tests can kill it at random points.
//
//   spool-torture crash --spool DIR --count N [--batch B]
//       Brings documents d0..d(N-1) through queue/new → queue/cur → queue/done, resuming from
//       whatever state an earlier (killed) run left. Safe to kill -9 anywhere; the final run
//       repairs stale content left by a kill between a move and its content rewrite.
//   spool-torture claim --spool DIR --worker W
//       Claims documents from queue/new by rename into queue/claimed/, printing each name it won.
#if canImport(Glibc)
import Glibc
#endif
import SpoolKit
import Foundation
import Commands
import SpoolLayout

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("spool-torture: \(message)\n".utf8))
    exit(64)
}

/// The two modes' command lines.
let specs: [String: CommandSpec] = [
    "crash": CommandSpec("spool-torture crash", summary: "bring d0..d(N-1) through queue/new → cur → done, resuming what a killed run left",
                         options: [CommandOption("spool", .text("DIR"), help: "the torture spool (made if missing: a SpoolKit test folder, not an agent spool)"),
                                   CommandOption("count", .integer(1...10_000_000), help: "documents (default 1000)"),
                                   CommandOption("batch", .integer(1...100_000), help: "documents per group commit (default 25)")]),
    "claim": CommandSpec("spool-torture claim", summary: "claim documents from queue/new by rename, printing each one won",
                         options: [CommandOption("spool", .text("DIR"), help: "the torture spool"),
                                   CommandOption("worker", .text("W"), help: "this worker's name")]),
]
var args = Array(CommandLine.arguments.dropFirst())
guard let mode = args.first else { fail("usage: spool-torture crash|claim --spool DIR ...") }
args.removeFirst()
guard let spec = specs[mode] else { fail("unknown mode '\(mode)'") }
let parsed: ParsedCommand
do { parsed = try spec.parse(args) } catch let failure as CommandFailure { RuntimeCommandLine.exit(with: failure) }
guard let root = parsed.text("spool") else { fail("--spool DIR is required") }
let spool = try Spool(root: root)
try spool.ensureDirectories(["queue/new", "queue/cur", "queue/done", "queue/claimed"])

/// The content of document `name` in `state`: a line that must be complete to be valid.
func content(_ name: String, _ state: String) -> [UInt8] {
    let padding = String(repeating: "x", count: 200 + (name.hashValue & 0x3ff))
    let body = "{\"name\":\"\(name)\",\"state\":\"\(state)\",\"padding\":\"\(padding)\"}"
    return Array((body + "\n#\(body.utf8.count)\n").utf8)
}

func recordedState(_ name: String, in dir: String) -> String? {
    guard let bytes = try? spool.read(name + ".json", in: dir) else { return nil }
    let text = String(decoding: bytes, as: UTF8.self)
    guard let range = text.range(of: "\"state\":\"") else { return nil }
    return String(text[range.upperBound...].prefix { $0 != "\"" })
}

switch mode {
case "crash":
    let count = parsed.integer("count") ?? 1000
    let batchSize = parsed.integer("batch") ?? 25
    func present(_ dir: String) -> Set<String> {
        Set(((try? spool.scan(dir).names) ?? []).map { String($0.dropLast(5)) })
    }
    // Repair first: a document whose content lags behind its folder gets its content rewritten.
    for dir in ["queue/cur", "queue/done"] {
        let state = String(dir.dropFirst("queue/".count))
        for name in present(dir) where recordedState(name, in: dir) != state {
            try spool.inBatch { try $0.replaceContent(of: name + ".json", in: dir, with: content(name, state)) }
        }
    }
    let existing = present("queue/new").union(present("queue/cur")).union(present("queue/done"))
    var pending = (0..<count).map { "d\($0)" }.filter { !existing.contains($0) }[...]
    while !pending.isEmpty {
        let chunk = pending.prefix(batchSize)
        pending = pending.dropFirst(chunk.count)
        try spool.inBatch { batch in
            for name in chunk { try batch.publish(content(name, "new"), as: name + ".json", in: "queue/new") }
        }
    }
    while true {
        let newNames = try spool.scan("queue/new", limit: batchSize).names
        let curNames = try spool.scan("queue/cur", limit: batchSize).names
        if newNames.isEmpty && curNames.isEmpty { break }
        try spool.inBatch { batch in
            for file in newNames { _ = try batch.move(file, from: "queue/new", to: "queue/cur") }
        }
        try spool.inBatch { batch in
            for file in curNames {
                let name = String(file.dropLast(5))
                _ = try batch.moveReplacingContent(file, from: "queue/cur", to: "queue/done", with: content(name, "done"))
            }
        }
    }
case "claim":
    guard let worker = parsed.text("worker") else { fail("--worker W is required") }
    var idle = 0
    while idle < 3 {
        let names = try spool.scan("queue/new", limit: 64).names
        if names.isEmpty { idle += 1; usleep(2000); continue }
        idle = 0
        // Shuffle the batch so workers collide often.
        for file in names.shuffled() {
            if try NoClobberRename.rename(spool.path("queue/new") + "/" + file, spool.path("queue/claimed") + "/" + file,
                                          reading: .literal) == .moved {
                print("\(worker) \(file)")
            }
        }
    }
default:
    fail("unknown mode '\(mode)'")
}
