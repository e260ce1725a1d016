/// Reading helpers for operator tools such as `wmctl catalog events DATASET`.
public enum EventListing {
    /// Streams the events of the file at `path` to `body` as (run, lumi, event), fully verified
    /// (payloads and trailer), without loading the file into memory.
    public static func events(in path: String, _ body: (_ run: UInt32, _ lumi: UInt32, _ event: UInt64) throws -> Void) throws {
        let reader = try EventFileReader(path: path)
        try reader.forEach { try body($0.run, $0.lumi, $0.event) }
    }

    /// Writes one `RUN LUMI EVENT` line per event of the file at `path` to `output`; returns the count.
    @discardableResult
    public static func printEvents<Output: TextOutputStream>(in path: String, to output: inout Output) throws -> UInt64 {
        var count: UInt64 = 0
        try events(in: path) { run, lumi, event in
            output.write("\(run) \(lumi) \(event)\n")
            count += 1
        }
        return count
    }
}
