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

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("spool-torture: \(message)\n".utf8))
    exit(64)
}

var args = Array(CommandLine.arguments.dropFirst())
guard let mode = args.first else { fail("usage: spool-torture crash|claim --spool DIR ...") }
args.removeFirst()
var options: [String: String] = [:]
var i = 0
while i + 1 < args.count {
    options[String(args[i].drop(while: { $0 == "-" }))] = args[i + 1]
    i += 2
}
guard let root = options["spool"] else { fail("--spool DIR is required") }
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
    let count = Int(options["count"] ?? "1000") ?? 1000
    let batchSize = Int(options["batch"] ?? "25") ?? 25
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
    guard let worker = options["worker"] else { fail("--worker W is required") }
    var idle = 0
    while idle < 3 {
        let names = try spool.scan("queue/new", limit: 64).names
        if names.isEmpty { idle += 1; usleep(2000); continue }
        idle = 0
        // Shuffle the batch so workers collide often.
        for file in names.shuffled() {
            if try NoClobberRename.rename(spool.path("queue/new") + "/" + file, spool.path("queue/claimed") + "/" + file) == .moved {
                print("\(worker) \(file)")
            }
        }
    }
default:
    fail("unknown mode '\(mode)'")
}
