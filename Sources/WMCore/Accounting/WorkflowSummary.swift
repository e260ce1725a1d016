import Foundation
import JobSplitting

/// The workload summary the task archiver writes when a workflow is closed (WMCore's workload summary
/// document): output datasets, errors per task/step/exit code with examples, performance histograms and retries.
public struct WorkflowSummary: Codable, Hashable, Sendable {
    /// One output dataset's totals.
    public struct DatasetTotals: Codable, Hashable, Sendable {
        /// Files.
        public var nFiles: Int
        /// Bytes.
        public var size: Int
        /// Events.
        public var events: Int
        /// Tasks that wrote it.
        public var tasks: [String]
    }

    /// The failures of one exit code in one task step.
    public struct ErrorGroup: Codable, Hashable, Sendable {
        /// Failed attempts with this code.
        public var errors: Int
        /// Example job names (at most `WorkflowSummary.examples`).
        public var jobs: [String]
        /// Example input LFNs.
        public var input: [String]
        /// Runs touched.
        public var runs: [Int]
        /// Example log tarball LFNs.
        public var logs: [String]
        /// The first error's type and details.
        public var example: String
        /// Failed attempts with this code per site they ran at (`unknown` when the record names none); nil in
        /// summaries written before sites were counted.
        public var sites: [String: Int]? = nil
    }

    /// A histogram: equal-width bins over the values within 5σ of the mean.
    public struct Histogram: Codable, Hashable, Sendable {
        /// One bin.
        public struct Bin: Codable, Hashable, Sendable {
            /// Lower edge (inclusive).
            public var lowerEdge: Double
            /// Upper edge (exclusive, inclusive for the last bin).
            public var upperEdge: Double
            /// Values in the bin.
            public var count: Int
        }
        /// Number of values.
        public var count: Int
        /// Mean.
        public var average: Double
        /// Standard deviation.
        public var stdDev: Double
        /// The bins.
        public var bins: [Bin]
        /// Values left out as further than 5σ from the mean.
        public var outliers: Int
        /// The three highest values with their jobs.
        public var worst: [Worst]

        /// A job with one of the highest values.
        public struct Worst: Codable, Hashable, Sendable {
            /// Job name.
            public var job: String
            /// The value.
            public var value: Double
        }
    }

    /// Histograms of one task.
    public struct TaskPerformance: Codable, Hashable, Sendable {
        /// Peak resident memory (MB).
        public var peakRSS: Histogram?
        /// Job wall time (s).
        public var jobTime: Histogram?
        /// Time per event (s).
        public var timePerEvent: Histogram?
        /// CPU efficiency of the task's successful jobs: their CPU time over their wall time × threads, as WMStats
        /// computes it; nil when no job recorded both.
        public var cpuEfficiency: Double?
    }

    /// Histogram bins.
    public static let bins = 10
    /// Examples kept per error group.
    public static let examples = 5

    /// The workflow.
    public var workflow: String
    /// When the summary was made.
    public var created: Double
    /// Jobs (last attempts) per outcome.
    public var jobs: [String: Int]
    /// Output datasets.
    public var output: [String: DatasetTotals]
    /// task → step → exit code → failures.
    public var errors: [String: [String: [String: ErrorGroup]]]
    /// task → histograms.
    public var performance: [String: TaskPerformance]
    /// task → retry count → successful jobs that needed that many retries.
    public var retryData: [String: [String: Int]]
    /// Log tarballs of the workflow's jobs.
    public var logArchives: Int
    /// The account of the request's outputs when it closed (expected, output, ACDC, missing, duplicated).
    public var account: RequestAccount?

    /// The site name failures are counted under when their record names no site.
    public static let unknownSite = "unknown"

    /// Builds the summary from every accounted attempt of the workflow.
    public init(workflow: String, records: [AccountingRecord], now: Double) {
        self.workflow = workflow
        created = now
        var output: [String: DatasetTotals] = [:]
        var errors: [String: [String: [String: ErrorGroup]]] = [:]
        var retryData: [String: [String: Int]] = [:]
        var lastAttempt: [String: AccountingRecord] = [:]
        for record in records {
            if (lastAttempt[record.job]?.retry ?? -1) <= record.retry { lastAttempt[record.job] = record }
            for file in record.outputs {
                guard let dataset = file.dataset else { continue }
                var totals = output[dataset] ?? DatasetTotals(nFiles: 0, size: 0, events: 0, tasks: [])
                totals.nFiles += 1
                totals.size = SaturatingArithmetic.add(totals.size, file.size)
                totals.events = SaturatingArithmetic.add(totals.events, file.events)
                if !totals.tasks.contains(record.task) { totals.tasks.append(record.task) }
                output[dataset] = totals
            }
            if record.outcome == "success" {
                retryData[record.task, default: [:]][String(record.retry), default: 0] += 1
            } else {
                let code = String(record.exitCode)
                var group = errors[record.task]?[record.step]?[code]
                    ?? ErrorGroup(errors: 0, jobs: [], input: [], runs: [], logs: [],
                                  example: record.errors.first.map { "\($0.type): \($0.details)" } ?? "")
                group.errors += 1
                group.sites = (group.sites ?? [:]).merging([record.site ?? Self.unknownSite: 1]) { SaturatingArithmetic.add($0, $1) }
                if group.jobs.count < Self.examples { group.jobs.append(AttemptKey(job: record.job, retry: record.retry).description) }
                for lfn in record.inputs where group.input.count < Self.examples && !group.input.contains(lfn) { group.input.append(lfn) }
                group.runs = Array(Set(group.runs).union(record.runs)).sorted()
                if let log = record.logArchive, group.logs.count < Self.examples { group.logs.append(log) }
                errors[record.task, default: [:]][record.step, default: [:]][code] = group
            }
        }
        self.output = output
        self.errors = errors
        self.retryData = retryData
        jobs = Dictionary(grouping: lastAttempt.values, by: \.outcome).mapValues(\.count)
        logArchives = records.filter { $0.logArchive != nil }.count
        let successes = records.filter { $0.outcome == "success" }
        performance = Dictionary(grouping: successes, by: \.task).mapValues { list in
            TaskPerformance(peakRSS: Self.histogram(list.compactMap { r in r.peakRSS.map { (r.job, $0) } }),
                            jobTime: Self.histogram(list.compactMap { r in r.jobTime.map { (r.job, $0) } }),
                            timePerEvent: Self.histogram(list.compactMap { r in r.timePerEvent.map { (r.job, $0) } }),
                            cpuEfficiency: Self.cpuEfficiency(list))
        }
    }

    /// Total CPU time over total wall time × threads of the records that have both; nil when none has.
    static func cpuEfficiency(_ records: [AccountingRecord]) -> Double? {
        let timed = records.filter { $0.cpuEfficiency != nil }
        let wallCoreSeconds = timed.reduce(0.0) { $0 + ($1.jobTime ?? 0) * Double(max(1, $1.threads ?? 1)) }
        guard wallCoreSeconds > 0 else { return nil }
        return timed.reduce(0.0) { $0 + ($1.cpuTime ?? 0) } / wallCoreSeconds
    }

    /// A 10-bin histogram of the values within 5σ of the mean, with the three worst jobs; nil for no values.
    public static func histogram(_ values: [(job: String, value: Double)]) -> Histogram? {
        guard !values.isEmpty else { return nil }
        let n = Double(values.count)
        let mean = values.reduce(0) { $0 + $1.value } / n
        let variance = values.reduce(0) { $0 + ($1.value - mean) * ($1.value - mean) } / n
        let sigma = variance.squareRoot()
        let kept = values.map(\.value).filter { sigma == 0 || abs($0 - mean) <= 5 * sigma }
        let low = kept.min() ?? mean, high = kept.max() ?? mean
        let width = (high - low) / Double(bins)
        var counts = [Int](repeating: 0, count: bins)
        for value in kept {
            let index = width > 0 ? min(bins - 1, Int((value - low) / width)) : 0
            counts[index] += 1
        }
        let binList = (0..<bins).map { i in
            Histogram.Bin(lowerEdge: low + Double(i) * width, upperEdge: low + Double(i + 1) * width, count: counts[i])
        }
        let worst = values.sorted { $0.value > $1.value }.prefix(3).map { Histogram.Worst(job: $0.job, value: $0.value) }
        return Histogram(count: values.count, average: mean, stdDev: sigma, bins: binList,
                         outliers: values.count - kept.count, worst: Array(worst))
    }

    /// The summary as readable text.
    public var text: String {
        var lines = ["Workflow summary: \(workflow)", ""]
        if let account {
            lines.append(account.verdict == .complete ? "Account: complete (every expected lumi and event in every output once)"
                                                      : "Account: \(account.verdict.rawValue.uppercased()) (wmctl request account \(workflow))")
            lines.append(contentsOf: account.text.split(separator: "\n").dropFirst().map(String.init))
            lines.append("")
        }
        lines.append("Jobs: " + jobs.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        lines.append("")
        lines.append("Output datasets:")
        if output.isEmpty { lines.append("  (none)") }
        for (dataset, t) in output.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(dataset): \(t.nFiles) files, \(t.events) events, \(t.size) bytes")
        }
        lines.append("")
        lines.append("Errors:")
        if errors.isEmpty { lines.append("  (none)") }
        for (task, steps) in errors.sorted(by: { $0.key < $1.key }) {
            for (step, codes) in steps.sorted(by: { $0.key < $1.key }) {
                for (code, group) in codes.sorted(by: { $0.key < $1.key }) {
                    lines.append("  \(task) \(step) exit \(code): \(group.errors) failure(s); jobs \(group.jobs.joined(separator: " "))")
                    if !group.example.isEmpty { lines.append("    example: \(group.example.prefix(200))") }
                    for log in group.logs { lines.append("    log: \(log)") }
                }
            }
        }
        lines.append("")
        lines.append("Performance (successful jobs):")
        for (task, perf) in performance.sorted(by: { $0.key < $1.key }) {
            if let efficiency = perf.cpuEfficiency { lines.append("  \(task) CPU efficiency: \(Self.format(efficiency * 100))%") }
            for (label, histogram) in [("peak RSS MB", perf.peakRSS), ("job time s", perf.jobTime), ("time/event s", perf.timePerEvent)] {
                guard let h = histogram else { continue }
                let bars = h.bins.map { String($0.count) }.joined(separator: " ")
                lines.append("  \(task) \(label): n=\(h.count) mean=\(Self.format(h.average)) sd=\(Self.format(h.stdDev)) bins[\(bars)]")
            }
        }
        lines.append("")
        lines.append("Retries (successful jobs by retry count):")
        for (task, counts) in retryData.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(task): " + counts.sorted { (Int($0.key) ?? 0) < (Int($1.key) ?? 0) }.map { "\($0.key)→\($0.value)" }.joined(separator: " "))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func format(_ value: Double) -> String { String(format: "%.3g", value) }
}
