/// PromptReco's release (§A.4, T0 `FindRecoRelease`), one (run, primary dataset) row at a time: waiting, then
/// locked at stop + delay − offset, then released at stop + delay, lowest unreleased run first.
///
/// Express needs no release here: T0 releases an Express run once PopCon wrote its `runinfo_start` IOV, and only
/// when a PopCon database is configured; this project has none, so an Express run is processed as soon as it is
/// configured.
public enum PromptRecoRelease {
    /// Where a row is (T0's `released` column: 0 waiting, 1 locked, epoch released).
    public enum State: Sendable, Equatable {
        /// Waiting for its lock time.
        case waiting
        /// Locked with the delays stored at lock time.
        case locked(delay: Int, offset: Int)
        /// Released at this time: its PromptReco workflow is made.
        case released(at: Int)
    }

    /// One primary dataset of one run.
    public struct Row: Sendable, Equatable {
        /// The run.
        public var run: Int
        /// The primary dataset.
        public var dataset: String
        /// The run's stop time (seconds since the epoch); 0 while the run has not stopped.
        public var stopTime: Int
        /// Where it is.
        public var state: State

        /// Makes a row.
        public init(run: Int, dataset: String, stopTime: Int, state: State = .waiting) {
            self.run = run
            self.dataset = dataset
            self.stopTime = stopTime
            self.state = state
        }
    }

    /// One release cycle at `now`. Held (the global switch): nothing changes. Otherwise, step 1: only the lowest
    /// run that still has waiting rows is considered, and its waiting rows of a stopped run with
    /// stop + delay − offset < now are locked with their delays; step 2: locked rows with stop + delay < now are
    /// released at `now`. `delays` gives a dataset's (delay, offset) (`Tier0Configuration.recoDelay(dataset:)`).
    public static func advance(_ rows: [Row], now: Int, held: Bool, delays: (String) -> (delay: Int, offset: Int)) -> [Row] {
        guard !held else { return rows }
        var rows = rows
        if let lowest = rows.filter({ $0.state == .waiting }).map(\.run).min() {
            for i in rows.indices where rows[i].run == lowest && rows[i].state == .waiting && rows[i].stopTime > 0 {
                let (delay, offset) = delays(rows[i].dataset)
                if rows[i].stopTime + delay - offset < now { rows[i].state = .locked(delay: delay, offset: offset) }
            }
        }
        for i in rows.indices {
            if case .locked(let delay, _) = rows[i].state, rows[i].stopTime + delay < now { rows[i].state = .released(at: now) }
        }
        return rows
    }
}
