import Foundation
import SpoolKit
import SpoolLayout
import WMCore

/// What WMCore's `ReleasePeriodicJob` asks of a Harvest subscription's jobs before it releases another harvest: is
/// one of them not cleaned out yet, and when did the latest one enter cleanout. Read only (the job creator's `plan`,
/// shared with `wmctl split`, writes nothing):
/// - a job not cleaned out yet has its marker (`JobMarkers`: made with the job, discarded by the job archiver just
///   before cleanout);
/// - a Harvest subscription releases a job group only while none of its jobs runs, so the jobs that ended last are
///   those of its highest job group (`wmbs/<wf>/<sub>/jobgroups/done/g<first>-<last>.json`); each one's cleanout
///   time is the last `cleanout` transition of its document in `jobs/cleanout/`, or in the `archive/jobs/<Y>/<M>/<D>/`
///   folders of the days the lookback window touches (a job archived earlier ended before the window).
struct HarvestJobHistory: Equatable {
    /// Whether a job of the subscription is not cleaned out yet.
    var inProgress: Bool
    /// When the latest job entered cleanout, nil when no job did within the lookback window (none ever ran, or all
    /// ended longer ago).
    var lastFinished: Double?

    /// The history of `subscription`'s jobs, looking `lookback` seconds back from `now` for cleanout times. A job
    /// document that cannot be read is an error naming the file.
    static func read(store: WMBSStore, workflow: String, subscription: String, now: Double, lookback: Double) throws -> HarvestJobHistory {
        let spool = store.spool
        let inProgress = !(try JobMarkers(spool: spool).jobs(workflow, subscription).isEmpty)
        guard let numbers = try lastGroupJobNumbers(spool: spool, workflow: workflow, subscription: subscription) else {
            return HarvestJobHistory(inProgress: inProgress, lastFinished: nil)
        }
        let jobs = Areas.jobs(spool)
        let folders = [jobs.folder(.cleanout)] + archiveDays(from: now - max(0, lookback), to: now)
        var lastFinished: Double?
        for number in numbers {
            let name = JobName.make(workflowKey: WMBSStore.workflowKey(workflow), subscription: subscription, number: number)
            for folder in folders {
                guard let bytes = try spool.read(jobs.fileName(name), in: folder) else { continue }
                let document = try jobs.decode(bytes, file: folder + "/" + jobs.fileName(name)).get()
                if let cleanout = document.history.last(where: { $0.to == JobState.cleanout.rawValue })?.time {
                    lastFinished = max(lastFinished ?? cleanout, cleanout)
                }
                break
            }
        }
        return HarvestJobHistory(inProgress: inProgress, lastFinished: lastFinished)
    }

    /// The job numbers of the subscription's highest job group (`g<first>-<last>.json`, done or pending), nil when
    /// it made none.
    static func lastGroupJobNumbers(spool: Spool, workflow: String, subscription: String) throws -> ClosedRange<Int>? {
        let groups = Layout.wmbs(workflow).subscription(subscription)
        var last: ClosedRange<Int>?
        for folder in [groups.pendingJobGroups, groups.doneJobGroups] {
            for name in try spool.scan(folder).names {
                guard name.hasPrefix("g"), let dash = name.firstIndex(of: "-"),
                      let first = Int(name[name.index(after: name.startIndex)..<dash]),
                      let end = Int(name[name.index(after: dash)...].prefix { $0.isNumber }), first <= end else { continue }
                if end > last?.upperBound ?? 0 { last = first...end }
            }
        }
        return last
    }

    /// The longest lookback searched: a year (a harvest period longer than that is over anyway).
    static let lookbackLimit: Double = 366 * 86_400

    /// The `archive/jobs/<Y>/<M>/<D>` folders of every UTC day from `start` to `end` (at most `lookbackLimit` back),
    /// newest first.
    static func archiveDays(from start: Double, to end: Double) -> [String] {
        let start = max(start, end - lookbackLimit)
        var days: [String] = []
        var time = end
        while true {
            let day = JobArchiverStage.dayFolder(max(time, start))
            if days.last != day { days.append(day) }
            if time <= start { return days }
            time -= 86_400
        }
    }
}
