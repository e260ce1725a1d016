/// What the storage managers said about one run, and T0's closeout rules over it (§A.3, `RunLumiCloseoutAPI`):
/// which lumis of a stream are closed and final-closed, when the run has ended, which streamers may be fed and
/// when a run/stream fileset may close. A value: the feeder records documents in any order, late or twice
/// (`record(_:)` is idempotent by LFN, by (stream, lumi, instance) and by instance), and asks.
///
/// Every instance reports `endOfLumi` for every stream of every lumi it wrote (`files: 0` for an empty one), so
/// a lumi of a stream with no data still closes (filecount 0).
public struct RunLedger: Sendable, Equatable {
    /// The run.
    public let run: Int
    /// The number of instances known before any end-of-run report (`storageManager.instances`), or nil.
    public var configuredInstances: Int?
    /// The registered streamers by LFN.
    public private(set) var streamers: [String: StreamerDocument] = [:]
    /// (stream, lumi, instance) → the files that instance wrote for the lumi.
    public private(set) var lumiReports: [LumiReport: Int] = [:]
    /// The end-of-run reports by instance.
    public private(set) var endOfRun: [String: EndOfRunDocument] = [:]

    /// An empty ledger for `run`.
    public init(run: Int, configuredInstances: Int? = nil) {
        self.run = run
        self.configuredInstances = configuredInstances
    }

    /// One instance's report on one lumi of one stream.
    public struct LumiReport: Sendable, Hashable {
        /// The stream.
        public var stream: String
        /// The lumi.
        public var lumi: Int
        /// The instance.
        public var instance: String

        /// Makes a key.
        public init(stream: String, lumi: Int, instance: String) {
            self.stream = stream
            self.lumi = lumi
            self.instance = instance
        }
    }

    /// What recording a document did.
    public enum Recorded: Sendable, Equatable {
        /// The document was new and is recorded.
        case recorded
        /// The same document was recorded before (a second delivery): nothing changed.
        case duplicate
        /// The document contradicts one recorded before (named): nothing changed; the caller quarantines it.
        case conflict(String)
    }

    /// Records a streamer, end-of-lumi or end-of-run document of this run. A run document is not the ledger's
    /// (the caller registers the run) and, like a document of another run, is a conflict.
    public mutating func record(_ document: StorageManagerDocument) -> Recorded {
        guard document.run == run else { return .conflict("it is about run \(document.run), not run \(run)") }
        switch document {
        case .run:
            return .conflict("a run document is registered by the caller, not recorded in the ledger")
        case .streamer(let streamer):
            // §A.1: an LFN that already exists is skipped, so registration is idempotent.
            if let known = streamers[streamer.lfn] {
                return known == streamer ? .duplicate : .conflict("LFN \(streamer.lfn) was registered with other values")
            }
            streamers[streamer.lfn] = streamer
            return .recorded
        case .endOfLumi(let report):
            let key = LumiReport(stream: report.stream, lumi: report.lumi, instance: report.instance)
            if let files = lumiReports[key] {
                return files == report.files ? .duplicate
                    : .conflict("instance \(report.instance) reported lumi \(report.lumi) of stream \(report.stream) with \(files) files before, now \(report.files)")
            }
            lumiReports[key] = report.files
            return .recorded
        case .endOfRun(let report):
            if let known = endOfRun[report.instance] {
                return known == report ? .duplicate : .conflict("instance \(report.instance) ended run \(run) with other values before")
            }
            if let other = endOfRun.values.first, other.instances != report.instances {
                return .conflict("instance \(other.instance) said \(other.instances) instances, \(report.instance) says \(report.instances)")
            }
            endOfRun[report.instance] = report
            return .recorded
        }
    }

    /// How many instances write the run: what the end-of-run reports say, else the configured number, else nil
    /// (then no lumi can close: an instance that has sent nothing could hold any lumi).
    public var expectedInstances: Int? { endOfRun.values.first?.instances ?? configuredInstances }

    /// True once all M instances reported the end of the run (§A.3: all n_instances rows exist).
    public var isEnded: Bool {
        guard let m = endOfRun.values.first?.instances else { return false }
        return endOfRun.count >= m
    }

    /// The run's lumi count once it has ended: the largest an instance reported (§A.3: MAX(n_lumisections)).
    public var lumiCount: Int? { isEnded ? endOfRun.values.map(\.lumis).max() : nil }

    /// The streams the run has data or reports for, sorted.
    public var streams: [String] {
        Set(streamers.values.map(\.stream)).union(lumiReports.keys.map(\.stream)).sorted()
    }

    /// The state of one lumi of one stream.
    public struct LumiState: Sendable, Equatable {
        /// The lumi.
        public var lumi: Int
        /// Streamer files the reporting instances wrote (the sum over them; §A.3 filecount).
        public var fileCount: Int
        /// Streamers registered for the lumi.
        public var registered: Int
        /// True when every instance that could hold the lumi reported it (§A.3 `lumi_section_closed`).
        public var isClosed: Bool
        /// True when closed and all its streamers are registered (filecount 0: at once) (§A.3 final close).
        public var isFinalClosed: Bool { isClosed && registered == fileCount }
    }

    /// The lumis of `stream` that any instance reported or any streamer names, in order, with their states.
    /// A lumi is closed when the instances that reported it plus the ended instances whose lumi count is below it
    /// (they are not expected to report it) number M.
    public func lumis(stream: String) -> [LumiState] {
        var files: [Int: Int] = [:]
        var reporters: [Int: Set<String>] = [:]
        for (key, count) in lumiReports where key.stream == stream {
            files[key.lumi, default: 0] += count
            reporters[key.lumi, default: []].insert(key.instance)
        }
        var registered: [Int: Int] = [:]
        for streamer in streamers.values where streamer.stream == stream { registered[streamer.lumi, default: 0] += 1 }
        let m = expectedInstances
        return Set(files.keys).union(registered.keys).sorted().map { lumi in
            let reported = reporters[lumi] ?? []
            let excused = endOfRun.values.filter { $0.lumis < lumi && !reported.contains($0.instance) }.count
            let closed = m.map { !reported.isEmpty && reported.count + excused >= $0 } ?? false
            return LumiState(lumi: lumi, fileCount: files[lumi] ?? 0, registered: registered[lumi] ?? 0, isClosed: closed)
        }
    }

    /// The streamers of `stream` that may be fed now (§A.3 FeedStreamers): those of final-closed lumis not in
    /// `fed`, by lumi then LFN. So a splitter only ever sees complete lumis.
    public func feedable(stream: String, fed: Set<String>) -> [StreamerDocument] {
        let final = Set(lumis(stream: stream).filter(\.isFinalClosed).map(\.lumi))
        return streamers.values.filter { $0.stream == stream && final.contains($0.lumi) && !fed.contains($0.lfn) }
            .sorted { ($0.lumi, $0.lfn) < ($1.lumi, $1.lfn) }
    }

    /// True when the run/stream fileset may close (§A.3 CloseRunStreamFilesets): the run has ended, the count of
    /// final-closed lumis equals the largest of them, which equals the run's lumi count, and every streamer of
    /// the stream is in `fed`.
    public func isFilesetClosable(stream: String, fed: Set<String>) -> Bool {
        guard let lumiCount else { return false }
        let final = lumis(stream: stream).filter(\.isFinalClosed).map(\.lumi)
        return final.count == (final.max() ?? 0) && (final.max() ?? 0) == lumiCount
            && streamers.values.allSatisfy { $0.stream != stream || fed.contains($0.lfn) }
    }
}
