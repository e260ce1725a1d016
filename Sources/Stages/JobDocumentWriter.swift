import Foundation
import JobSplitting
import WMCore

/// Writes new job documents as JSON fast: the same bytes `DocumentArea.encode` (JSONEncoder, sorted
/// keys) produces, without the encoder's generic machinery — the job creator writes tens of thousands
/// of documents per cycle. An input file's bytes are made once and reused in every job that reads it.
///
/// Documents with operator keys (`extra`) are left to `JSONEncoder` (`nil` from `write`).
struct JobDocumentWriter {
    private var fileCache: [String: [UInt8]] = [:]

    /// The document's bytes with a final newline, or nil when it must go through `JSONEncoder`.
    mutating func write(_ doc: JobDocument) -> [UInt8]? {
        guard doc.extra.isEmpty else { return nil }
        let job = doc.body
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        // Keys in byte order, as JSONEncoder's sortedKeys writes them; nil optionals are left out.
        key("baggage", &out, first: true); Self.value(.object(job.baggage), &out)
        if let batchID = job.batchID { key("batchID", &out); Self.string(batchID, &out) }
        key("estimatedDisk", &out); Self.double(job.estimatedDisk, &out)
        key("estimatedMemory", &out); Self.double(job.estimatedMemory, &out)
        key("estimatedTime", &out); Self.double(job.estimatedTime, &out)
        key("exitCodes", &out); Self.list(job.exitCodes, &out) { Self.int($0, &$1) }
        key("history", &out); Self.list(job.history, &out) { Self.transition($0, &$1) }
        key("inputFiles", &out); out.append(UInt8(ascii: "["))
        for (i, file) in job.inputFiles.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: fileBytes(file))
        }
        out.append(UInt8(ascii: "]"))
        key("mask", &out); Self.mask(job.mask, &out)
        key("name", &out); Self.string(job.name, &out)
        key("outputs", &out); Self.object(job.outputs, &out) { Self.output($0, &$1) }
        key("possibleSites", &out); Self.list(job.possibleSites, &out) { Self.string($0, &$1) }
        key("priority", &out); Self.int(job.priority, &out)
        key("retryCount", &out); Self.int(job.retryCount, &out)
        key("schema", &out); Self.int(job.schema, &out)
        if let site = job.site { key("site", &out); Self.string(site, &out) }
        key("state", &out); Self.string(job.state.rawValue, &out)
        key("subscription", &out); Self.string(job.subscription, &out)
        key("task", &out); Self.string(job.task, &out)
        key("taskType", &out); Self.string(job.taskType, &out)
        key("workflow", &out); Self.string(job.workflow, &out)
        out.append(contentsOf: "}\n".utf8)
        return out
    }

    private mutating func fileBytes(_ file: SplitFile) -> [UInt8] {
        if let cached = fileCache[file.lfn], cached.count > 0 {
            return cached
        }
        var out: [UInt8] = []
        key("events", &out, first: true); Self.int(file.events, &out)
        key("first_event", &out); Self.int(file.firstEvent, &out)
        if file.insertTime != 0 { key("insert_time", &out); Self.double(file.insertTime, &out) }
        key("last_event", &out); Self.int(file.lastEvent, &out)
        key("lfn", &out); Self.string(file.lfn, &out)
        key("locations", &out); Self.list(file.locations, &out) { Self.string($0, &$1) }
        if file.merged { key("merged", &out); out.append(contentsOf: "true".utf8) }
        if !file.parents.isEmpty { key("parents", &out); Self.list(file.parents, &out) { Self.string($0, &$1) } }
        key("runs", &out)
        Self.list(file.runs, &out) { run, out in
            out.append(UInt8(ascii: "["))
            Self.int(run.run, &out)
            out.append(UInt8(ascii: ","))
            Self.list(run.lumis, &out) { Self.int($0, &$1) }
            out.append(UInt8(ascii: "]"))
        }
        key("size", &out); Self.int(file.size, &out)
        out.append(UInt8(ascii: "}"))
        fileCache[file.lfn] = out
        return out
    }

    private func key(_ name: StaticString, _ out: inout [UInt8], first: Bool = false) {
        out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
        out.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(contentsOf: "\":".utf8)
    }

    private static func mask(_ mask: JobMask, _ out: inout [UInt8]) {
        let bounds: [(StaticString, Int?)] = [("FirstEvent", mask.firstEvent), ("FirstLumi", mask.firstLumi), ("FirstRun", mask.firstRun),
                                              ("LastEvent", mask.lastEvent), ("LastLumi", mask.lastLumi), ("LastRun", mask.lastRun)]
        for (i, (name, value)) in bounds.enumerated() {
            out.append(i == 0 ? UInt8(ascii: "{") : UInt8(ascii: ","))
            out.append(UInt8(ascii: "\""))
            name.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(contentsOf: "\":".utf8)
            if let value { int(value, &out) } else { out.append(contentsOf: "null".utf8) }
        }
        out.append(contentsOf: ",\"inclusivemask\":".utf8)
        out.append(contentsOf: (mask.inclusiveMask ? "true" : "false").utf8)
        out.append(contentsOf: ",\"runAndLumis\":".utf8)
        var ranges: [String: [[Int]]] = [:]
        for entry in mask.runAndLumis { ranges[String(entry.run), default: []].append(contentsOf: entry.ranges) }
        object(ranges, &out) { list($0, &$1) { list($0, &$1) { int($0, &$1) } } }
        out.append(UInt8(ascii: "}"))
    }

    private static func output(_ spec: JobOutputSpec, _ out: inout [UInt8]) {
        out.append(contentsOf: "{\"dataTier\":".utf8); string(spec.dataTier, &out)
        out.append(contentsOf: ",\"dataset\":".utf8); string(spec.dataset, &out)
        out.append(contentsOf: ",\"filterMask\":".utf8); out.append(contentsOf: String(spec.filterMask).utf8)
        out.append(contentsOf: ",\"lfnBase\":".utf8); string(spec.lfnBase, &out)
        out.append(contentsOf: ",\"merged\":".utf8); out.append(contentsOf: (spec.merged ? "true" : "false").utf8)
        out.append(UInt8(ascii: "}"))
    }

    private static func transition(_ t: Transition, _ out: inout [UInt8]) {
        out.append(contentsOf: "{\"actor\":".utf8); string(t.actor, &out)
        out.append(contentsOf: ",\"from\":".utf8); string(t.from, &out)
        out.append(contentsOf: ",\"reason\":".utf8); string(t.reason, &out)
        out.append(contentsOf: ",\"time\":".utf8); double(t.time, &out)
        out.append(contentsOf: ",\"to\":".utf8); string(t.to, &out)
        out.append(UInt8(ascii: "}"))
    }

    /// A JSON value as JSONEncoder writes it (object keys sorted by their UTF-8 bytes).
    static func value(_ v: JSONValue, _ out: inout [UInt8]) {
        switch v {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): int(i, &out)
        case .double(let d): double(d, &out)
        case .string(let s): string(s, &out)
        case .array(let items): list(items, &out) { value($0, &$1) }
        case .object(let members): object(members, &out) { value($0, &$1) }
        }
    }

    private static func list<T>(_ items: [T], _ out: inout [UInt8], _ element: (T, inout [UInt8]) -> Void) {
        out.append(UInt8(ascii: "["))
        for (i, item) in items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            element(item, &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    private static func object<T>(_ members: [String: T], _ out: inout [UInt8], _ element: (T, inout [UInt8]) -> Void) {
        out.append(UInt8(ascii: "{"))
        for (i, name) in members.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            string(name, &out)
            out.append(UInt8(ascii: ":"))
            element(members[name]!, &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    private static func int(_ i: Int, _ out: inout [UInt8]) {
        out.append(contentsOf: String(i).utf8)
    }

    /// Integral values print without a fraction, as JSONEncoder does; others go through JSONEncoder itself.
    private static func double(_ d: Double, _ out: inout [UInt8]) {
        if d == d.rounded(), abs(d) < 1e15 {
            out.append(contentsOf: String(Int(d)).utf8)
        } else if let bytes = try? JSONEncoder().encode(d) {
            out.append(contentsOf: bytes)
        } else {
            out.append(contentsOf: "null".utf8)
        }
    }

    /// A string with JSONEncoder's escapes (including `\/`).
    static func string(_ s: String, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "/"): out.append(contentsOf: "\\/".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0x08: out.append(contentsOf: "\\b".utf8)
            case 0x0C: out.append(contentsOf: "\\f".utf8)
            case 0..<0x20:
                let hex = String(byte, radix: 16)
                out.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
