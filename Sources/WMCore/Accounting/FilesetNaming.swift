/// The names of the WMBS filesets that connect a task to its children (§13 of the reference), agreed in one place.
///
/// The local queue names the filesets when it creates subscriptions; the accountant adds files to them by the
/// same names.
public enum FilesetNaming {
    /// The module label of a job's log tarball in its report.
    public static let logArchiveModule = "logArchive"

    /// `<taskPath>/unmerged-<module><tier>`: a task's unmerged output, read by its Merge and CleanupUnmerged tasks.
    public static func unmerged(taskPath: String, module: String, tier: String) -> String {
        "\(taskPath)/unmerged-\(module)\(tier)"
    }

    /// `<mergePath>/merged-Merged<tier>`: a merge task's output, read by child tasks.
    public static func merged(mergePath: String, tier: String) -> String {
        "\(mergePath)/merged-Merged\(tier)"
    }

    /// `<taskPath>/unmerged-logArchive`: the log tarballs of a task's jobs, read by its LogCollect task.
    public static func logArchive(taskPath: String) -> String {
        "\(taskPath)/unmerged-\(logArchiveModule)"
    }
}
