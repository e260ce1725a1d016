import Foundation

/// WMCore's LFN rules for a job's output files, its log archive and a LogCollect tarball.
public enum LFNNaming {
    /// The unmerged base used when the baggage has no `unmergedLFNBase`.
    public static let defaultUnmergedBase = "/store/unmerged"

    /// The job counter the LFN group is derived from: the baggage key `lfnCounter` when present,
    /// else the trailing number of the job name (`<uuid>-17` → 17), else 0.
    public static func counter(jobName: String, baggage: [String: JSONValue]) -> Int {
        if let value = baggage["lfnCounter"]?.intValue { return value }
        let digits = jobName.reversed().prefix { $0.isASCII && $0.isNumber }
        return Int(String(digits.reversed())) ?? 0
    }

    /// `str(counter // 1000).zfill(4)`: the counter part of every LFN group.
    public static func paddedThousands(_ counter: Int) -> String {
        let text = String(max(counter, 0) / 1000)
        return String(repeating: "0", count: max(0, 4 - text.count)) + text
    }

    /// The output LFN group: the agent number digit followed by `paddedThousands(counter)`, e.g. `00000`.
    public static func outputGroup(agentNumber: Int, counter: Int) -> String {
        "\(agentNumber)" + paddedThousands(counter)
    }

    /// The log-archive LFN group. WMCore's LogArchive executor uses `str(counter // 1000).zfill(4)`
    /// alone (no agent number), e.g. `0000`.
    public static func logArchiveGroup(counter: Int) -> String { paddedThousands(counter) }

    /// `<lfnBase>/<group>/<GUID>.root`.
    public static func outputLFN(lfnBase: String, group: String, guid: String) -> String {
        trimmed(lfnBase) + "/" + group + "/" + guid + ".root"
    }

    /// WMCore's log-archive LFN:
    /// `<unmergedBase>/logs/prod/<Y>/<M>/<D><taskPath>/<group>/<retry>/<job>-<retry>-logArchive.tar.gz`
    /// with year, month and day as plain integers of `date` in UTC.
    public static func logArchiveLFN(unmergedBase: String, date: Date, taskPath: String, group: String,
                                     retry: Int, jobName: String) -> String {
        let (year, month, day) = utcDay(date)
        let path = taskPath.hasPrefix("/") ? taskPath : "/" + taskPath
        return "\(trimmed(unmergedBase))/logs/prod/\(year)/\(month)/\(day)\(path)/\(group)/\(retry)/\(jobName)-\(retry)-logArchive.tar.gz"
    }

    /// The LogCollect tarball: `/store/logs/prod/<Y>/<MM>/WMAgent/<workflow>/<workflow>-<job>-logs.tar`
    /// (month zero-padded).
    public static func logCollectLFN(date: Date, workflow: String, jobName: String) -> String {
        let (year, month, _) = utcDay(date)
        let mm = month < 10 ? "0\(month)" : "\(month)"
        return "/store/logs/prod/\(year)/\(mm)/WMAgent/\(workflow)/\(workflow)-\(jobName)-logs.tar"
    }

    /// Year, month and day of `date` in UTC.
    static func utcDay(_ date: Date) -> (Int, Int, Int) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return (parts.year!, parts.month!, parts.day!)
    }

    private static func trimmed(_ base: String) -> String {
        var base = base
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        return base
    }
}
