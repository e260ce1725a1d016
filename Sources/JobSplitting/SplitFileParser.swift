import DynamicJSON

/// A fast reader for file documents in the form `SplitFile` encodes (`lfn`, `size`, `events`,
/// `first_event`, `last_event`, `locations`, `runs`, `insert_time`, `parents`, `merged`): the job creator
/// reads one such document per available file, and every job document holds a list of them.
///
/// It accepts any JSON layout (whitespace, key order) but only these keys, each once, with these value
/// types; for anything else (an unknown or repeated key, a null, a number out of range, malformed text)
/// it returns nil and the caller falls back to `JSONDecoder`, which explains the problem. Values are
/// read as `JSONDecoder` reads them (`JSONByteReader`).
public enum SplitFileParser {
    /// Parses one file document, or nil when the fast path does not apply.
    public static func parse(_ bytes: [UInt8]) -> SplitFile? {
        JSONByteReader.read(bytes) { reader in
            guard let file = file(&reader), reader.atEnd() else { return nil }
            return file
        }
    }

    /// Parses a JSON list of file documents (a WMBS file bundle), or nil when the fast path does not apply.
    public static func parseList(_ bytes: [UInt8]) -> [SplitFile]? {
        JSONByteReader.read(bytes) { reader in
            guard let files = reader.list({ file(&$0) }), reader.atEnd() else { return nil }
            return files
        }
    }

    /// Reads one file object at the reader's position, or nil when the fast path does not apply.
    public static func file(_ reader: inout JSONByteReader) -> SplitFile? {
        var lfn: String?
        var size = 0, events = 0, firstEvent = 0, lastEvent = 0, insertTime = 0.0, merged = false
        var locations: [String] = [], parents: [String] = [], runs: [FileRun] = []
        var seen = SeenKeys()
        let complete = reader.object { reader, key in
            switch key {
            case "lfn": return seen.first(0) && reader.string().map { lfn = $0 } != nil
            case "size": return seen.first(1) && reader.int().map { size = $0 } != nil
            case "events": return seen.first(2) && reader.int().map { events = $0 } != nil
            case "first_event": return seen.first(3) && reader.int().map { firstEvent = $0 } != nil
            case "last_event": return seen.first(4) && reader.int().map { lastEvent = $0 } != nil
            case "insert_time": return seen.first(5) && reader.double().map { insertTime = $0 } != nil
            case "merged": return seen.first(6) && reader.bool().map { merged = $0 } != nil
            case "locations": return seen.first(7) && reader.list({ $0.string() }).map { locations = $0 } != nil
            case "parents": return seen.first(8) && reader.list({ $0.string() }).map { parents = $0 } != nil
            case "runs": return seen.first(9) && reader.list({ run(&$0) }).map { runs = $0 } != nil
            default: return false
            }
        }
        guard complete, let lfn else { return nil }
        return SplitFile(lfn: lfn, size: size, events: events, firstEvent: firstEvent, lastEvent: lastEvent, locations: locations,
                         runs: runs, insertTime: insertTime, parents: parents, merged: merged)
    }

    /// `[run, [lumi, ...]]`.
    private static func run(_ reader: inout JSONByteReader) -> FileRun? {
        guard reader.expect(UInt8(ascii: "[")), let run = reader.int(), reader.expect(UInt8(ascii: ",")),
              let lumis = reader.list({ $0.int() }), reader.expect(UInt8(ascii: "]")) else { return nil }
        return FileRun(run: run, lumis: lumis)
    }
}
