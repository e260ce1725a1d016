/// What the accountant keeps of one job attempt for the workflow summary (WMCore's fwjr document,
/// `_id` = `<job>-<retry>`), stored as `wmbs/<workflow>/reports/<job>-<retry>.json`.
public struct AccountingRecord: Codable, Hashable, Sendable {
    /// One error of the attempt.
    public struct ErrorEntry: Codable, Hashable, Sendable {
        /// Exception type, e.g. `CMSException`, `DuplicateOutput`.
        public var type: String
        /// Exit code.
        public var exitCode: Int
        /// Details (at most `AccountingRecord.detailLimit` characters).
        public var details: String

        /// Makes an entry, shortening long details.
        public init(type: String, exitCode: Int, details: String) {
            self.type = type
            self.exitCode = exitCode
            self.details = details.count > AccountingRecord.detailLimit
                ? String(details.prefix(AccountingRecord.detailLimit)) + "…" : details
        }
    }

    /// One recorded output file.
    public struct Output: Codable, Hashable, Sendable {
        /// Output module label.
        public var module: String
        /// The LFN as recorded (merged LFN for straight-to-merge files).
        public var lfn: String
        /// The dataset, when the file went to the DBS buffer.
        public var dataset: String?
        /// Bytes.
        public var size: Int
        /// Events.
        public var events: Int
        /// True when recorded as merged.
        public var merged: Bool

        /// Makes an output entry.
        public init(module: String, lfn: String, dataset: String?, size: Int, events: Int, merged: Bool) {
            self.module = module
            self.lfn = lfn
            self.dataset = dataset
            self.size = size
            self.events = events
            self.merged = merged
        }
    }

    /// Longest error detail kept.
    public static let detailLimit = 2000

    /// Schema version.
    public var schema: Int
    /// Job name.
    public var job: String
    /// Retry count of the attempt.
    public var retry: Int
    /// Workflow.
    public var workflow: String
    /// Task path.
    public var task: String
    /// Task type.
    public var taskType: String
    /// `success` or `jobfailed`.
    public var outcome: String
    /// The job's exit code (0 on success).
    public var exitCode: Int
    /// The step the report belongs to (`cmsRun1`).
    public var step: String
    /// Errors, first cause first.
    public var errors: [ErrorEntry]
    /// Site the job ran at.
    public var site: String?
    /// Run time in seconds (wrapper stop − start, or TotalJobTime).
    public var jobTime: Double?
    /// Peak resident memory in MB.
    public var peakRSS: Double?
    /// Events processed.
    public var events: Int
    /// Input LFNs.
    public var inputs: [String]
    /// Runs of the inputs.
    public var runs: [Int]
    /// Recorded outputs (none for failed jobs, whose data outputs are not recorded).
    public var outputs: [Output]
    /// The log tarball's LFN, if the job archived its logs.
    public var logArchive: String?
    /// CPU seconds the payload used (the report's `TotalJobCPU`), when known.
    public var cpuTime: Double?
    /// Threads the payload ran (the report's `NumberOfThreads`, else the job's cores), when known.
    public var threads: Int?

    /// Makes a record.
    public init(job: String, retry: Int, workflow: String, task: String, taskType: String, outcome: String, exitCode: Int,
                step: String, errors: [ErrorEntry], site: String?, jobTime: Double?, peakRSS: Double?, events: Int,
                inputs: [String], runs: [Int], outputs: [Output], logArchive: String?) {
        schema = 1
        self.job = job
        self.retry = retry
        self.workflow = workflow
        self.task = task
        self.taskType = taskType
        self.outcome = outcome
        self.exitCode = exitCode
        self.step = step
        self.errors = errors
        self.site = site
        self.jobTime = jobTime
        self.peakRSS = peakRSS
        self.events = events
        self.inputs = inputs
        self.runs = runs
        self.outputs = outputs
        self.logArchive = logArchive
    }

    /// CPU time over wall time × threads (0...1 for a payload that used its cores well), when all are known.
    public var cpuEfficiency: Double? {
        guard let cpuTime, let jobTime, jobTime > 0 else { return nil }
        return cpuTime / (jobTime * Double(max(1, threads ?? 1)))
    }

    /// Seconds per event, when both are known.
    public var timePerEvent: Double? {
        guard let jobTime, events > 0 else { return nil }
        return jobTime / Double(events)
    }
}
