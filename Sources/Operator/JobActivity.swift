import Foundation
import JobSplitting
import WMCore

/// Jobs entering and leaving states over time, per workflow, counted in buckets of `bucketSeconds`: what the plots of
/// jobs by state over time and of jobs done over time are drawn from (the job documents' histories).
///
/// Changes add up, so the activity of each archive day (kept in a digest, `ArchiveActivityCache`) and of the live
/// jobs are summed without reading a job twice.
public struct JobActivity: Sendable, Equatable {
    /// Seconds per bucket.
    public static let bucketSeconds = 300
    /// The pseudo-state counting a job's first entry into a done state (`success`, `exhausted`, `killed`, `cleanout`).
    public static let done = "+done"
    /// Times outside this range (seconds since the epoch) are not counted: a hostile history cannot make a bucket trap.
    static let timeRange = 0.0...1e11

    /// workflow → bucket → state (or `done`) → change in jobs.
    public private(set) var changes: [String: [Int: [String: Int]]] = [:]

    /// No activity.
    public init() {}

    /// The bucket of `time`, nil when out of range.
    static func bucket(_ time: Double) -> Int? {
        guard time.isFinite, timeRange.contains(time) else { return nil }
        return Int(time) / bucketSeconds
    }

    /// Counts `job`'s history: each transition leaves its `from` state and enters its `to` state (a job is made in
    /// `new` with no record of it, so its first transition leaves nothing); the first entry into a done state also
    /// counts under `done`.
    public mutating func add(_ job: JobBody) {
        var counted = false
        for (index, step) in job.history.enumerated() {
            guard let bucket = Self.bucket(step.time) else { continue }
            if index > 0 && step.from != "none" { change(job.workflow, bucket, step.from, -1) }
            change(job.workflow, bucket, step.to, 1)
            if !counted, let state = JobState(rawValue: step.to), OperationsReportBuilder.doneStates.contains(state) {
                counted = true
                change(job.workflow, bucket, Self.done, 1)
            }
        }
    }

    /// Adds `delta` jobs to `state` of `workflow` in `bucket` (changes that sum to nothing are dropped, so equal
    /// activity is equal however it was counted).
    mutating func change(_ workflow: String, _ bucket: Int, _ state: String, _ delta: Int) {
        let sum = SaturatingArithmetic.add(changes[workflow]?[bucket]?[state] ?? 0, delta)
        changes[workflow, default: [:]][bucket, default: [:]][state] = sum == 0 ? nil : sum
        if changes[workflow]?[bucket]?.isEmpty == true { changes[workflow]?[bucket] = nil }
    }

    /// Adds every change of `other` (a workflow this activity does not have yet is taken whole).
    public mutating func merge(_ other: JobActivity) {
        for (workflow, buckets) in other.changes {
            guard changes[workflow] != nil else {
                changes[workflow] = buckets
                continue
            }
            for (bucket, states) in buckets {
                for (state, delta) in states { change(workflow, bucket, state, delta) }
            }
        }
    }

    /// `workflow`'s jobs by state and jobs done at (at most `limit`) times: the start of its first bucket (nothing yet),
    /// then evenly spaced bucket ends up to its last bucket's (one per bucket when there are fewer buckets); empty when
    /// it has no activity.
    public func samples(of workflow: String, limit: Int = 40) -> [OperationsReport.ActivitySample] {
        guard let buckets = changes[workflow], let first = buckets.keys.min(), let last = buckets.keys.max(), limit > 2 else { return [] }
        let span = last - first
        let steps = min(span, limit - 2)
        var running: [String: Int] = [:]
        var sorted = buckets.keys.sorted()[...]
        var samples = [OperationsReport.ActivitySample(time: Double(first * Self.bucketSeconds), jobsDone: 0, jobsByState: [:])]
        for i in 0...steps {
            let upTo = steps == 0 ? last : first + Int((Double(span) * Double(i) / Double(steps)).rounded(.down))
            while let next = sorted.first, next <= upTo {
                for (state, delta) in buckets[next] ?? [:] { running[state] = SaturatingArithmetic.add(running[state] ?? 0, delta) }
                sorted = sorted.dropFirst()
            }
            var byState: [String: Int] = [:]
            for (state, count) in running where state != Self.done && count > 0 { byState[state] = count }
            samples.append(.init(time: Double((upTo + 1) * Self.bucketSeconds), jobsDone: max(0, running[Self.done] ?? 0), jobsByState: byState))
        }
        return samples
    }

    /// The digest's lines: `workflow<TAB>bucket<TAB>state<TAB>delta`, sorted (names holding a tab or a newline are left
    /// out: no request is so named).
    public func serialized() -> String {
        var lines: [String] = []
        for (workflow, buckets) in changes where !Self.unsafe(workflow) {
            for (bucket, states) in buckets {
                for (state, delta) in states where delta != 0 && !Self.unsafe(state) { lines.append("\(workflow)\t\(bucket)\t\(state)\t\(delta)") }
            }
        }
        return lines.sorted().joined(separator: "\n")
    }

    /// The activity of `serialized()` lines; nil when a line is not of that form (the digest is then rebuilt).
    public static func parse<S: StringProtocol>(lines: [S]) -> JobActivity? {
        var activity = JobActivity()
        for line in lines where !line.isEmpty {
            guard activity.addLine(Substring(line)) else { return nil }
        }
        return activity
    }

    /// Adds the changes of `serialized()` text (lines after `from`, a byte offset) to this activity; false when a line
    /// is not of that form (this activity is then partly changed: add into a new one).
    public mutating func add(serialized text: String, from offset: Int = 0) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var start = min(offset, bytes.count)
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != 10 { end += 1 }
                if end > start {
                    guard addLine(Substring(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)) else { return false }
                }
                start = end + 1
            }
            return true
        }
    }

    /// Adds one `workflow<TAB>bucket<TAB>state<TAB>delta` line; false when it is not of that form.
    mutating func addLine(_ line: Substring) -> Bool {
        let fields = line.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false)
        guard fields.count == 4, let bucket = Int(fields[1]), let delta = Int(fields[3]),
              (0...(Int(Self.timeRange.upperBound) / Self.bucketSeconds)).contains(bucket) else { return false }
        change(String(fields[0]), bucket, String(fields[2]), delta)
        return true
    }

    static func unsafe(_ s: String) -> Bool { s.contains("\t") || s.contains("\n") || s.contains("\r") }
}
