import Foundation
import SpoolKit
import SpoolLayout
import WMCore

/// The job activity of the archived jobs (`archive/jobs/<Y>/<M>/<D>/`), one digest per day folder kept in
/// `www/.activity/<Y>-<M>-<D>.txt`, so the operations page reads each archived job document once, not on every build.
///
/// A digest is keyed by its day folder's stamp (inode and modification time): the job archiver only ever moves
/// documents into a day folder (which changes its modification time) and never rewrites one there, so an unchanged
/// stamp means unchanged documents. Beside each digest, `<Y>-<M>-<D>.names` lists the documents it counted (under the
/// digest's key, so a list is used only with the digest it belongs to): when a day folder changed (the archiver added
/// jobs to today's), only the documents not listed are read and added; when a listed one is gone, or the digest is missing or unreadable, the whole day is read again. Digests of days gone from
/// the archive are removed when the digests are saved.
public struct ArchiveActivityCache {
    /// The spool.
    public let spool: Spool
    /// `www/.activity`, where the digests are kept.
    public static let folder = Layout.operationsPageFolder + "/.activity"
    /// The first word of a digest.
    static let magic = "wmspool-activity 1"

    /// A cache over `spool`'s archive.
    public init(spool: Spool) { self.spool = spool }

    /// One day folder's digest as read or made.
    public struct Day {
        /// The digest's file name (`<Y>-<M>-<D>.txt`).
        public var file: String
        /// Its first line (the key) and activity lines.
        public var text: String
        /// Its key, then the documents it counts, one a line (only when made now).
        public var names: String? = nil
        /// True when it was made now (and is worth saving).
        public var made: Bool
        /// Documents read to make it (0 when the digest was still good).
        public var documentsRead = 0
    }

    /// The archive's activity, with each day's digest, and what could not be read (naming the files).
    public func load() throws -> (activity: JobActivity, days: [Day], problems: [String]) {
        var activity = JobActivity()
        var days: [Day] = []
        var problems: [String] = []
        for folder in try dayFolders() {
            guard let stamp = try FileStamp.of(spool.path(folder)) else { continue }
            let file = folder.dropFirst(Layout.archivedJobsRoot.count + 1).replacingOccurrences(of: "/", with: "-") + ".txt"
            let key = "\(Self.magic) \(stamp.inode) \(stamp.modified)"
            let stored = storedDigest(file)
            var kept: (key: String, activity: JobActivity)?
            if let stored {
                var day = JobActivity()
                if day.add(serialized: stored.text, from: stored.key.utf8.count + 1) { kept = (stored.key, day) }
            }
            if let kept, kept.key == key {
                activity.merge(kept.activity)
                days.append(Day(file: file, text: stored?.text ?? "", made: false))
                continue
            }
            let names = try spool.scan(folder).names.filter { $0.hasSuffix(".json") }
            var day = JobActivity()
            var counted: [String] = []
            var toRead = names[...]
            if let kept, let listed = storedNames(file, key: kept.key), listed.isSubset(of: Set(names)) {
                // The folder gained documents: add the new ones to the day's digest.
                day = kept.activity
                counted = names.filter { listed.contains($0) }
                toRead = names.filter { !listed.contains($0) }[...]
            }
            var unreadable = 0
            let jobs = Areas.jobs(spool)
            for name in toRead {
                guard let bytes = try spool.read(name, in: folder), case .success(let doc) = jobs.decode(bytes, file: folder + "/" + name) else {
                    unreadable += 1
                    continue
                }
                day.add(doc.body)
                counted.append(name)
            }
            if unreadable > 0 { problems.append("\(unreadable) archived job document(s) in \(folder) could not be read; left out of the plots") }
            activity.merge(day)
            days.append(Day(file: file, text: key + "\n" + day.serialized(), names: ([key] + counted).joined(separator: "\n"), made: true, documentsRead: toRead.count))
        }
        return (activity, days, problems)
    }

    /// The digest kept as `file`: its key (first line) and whole text; nil when missing or not a digest.
    func storedDigest(_ file: String) -> (key: String, text: String)? {
        guard let bytes = try? spool.read(file, in: Self.folder, limit: 1 << 28), let text = String(bytes: bytes, encoding: .utf8),
              let key = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first, key.hasPrefix(Self.magic) else { return nil }
        return (String(key), text)
    }

    /// The documents the digest kept as `file` under `key` counts (its `.names` file); nil when missing, unreadable or
    /// written for another version of the digest.
    func storedNames(_ file: String, key: String) -> Set<String>? {
        guard let bytes = try? spool.read(Self.namesFile(file), in: Self.folder, limit: 1 << 28), let text = String(bytes: bytes, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n").map(String.init)
        guard lines.first == key else { return nil }
        return Set(lines.dropFirst())
    }

    /// `<Y>-<M>-<D>.names` of the digest `<Y>-<M>-<D>.txt`.
    static func namesFile(_ file: String) -> String { String(file.dropLast(4)) + ".names" }

    /// Writes the digests made now and removes those of days gone (best effort: a cache that cannot be written is
    /// made again next time).
    public func save(_ days: [Day]) throws {
        for day in days where day.made {
            spool.replaceBestEffort(Self.namesFile(day.file), in: Self.folder, with: Array((day.names ?? "").utf8))
            spool.replaceBestEffort(day.file, in: Self.folder, with: Array(day.text.utf8))
        }
        guard spool.isFolder(Self.folder) else { return }
        let kept = Set(days.map(\.file) + days.map { Self.namesFile($0.file) })
        for name in try spool.scan(Self.folder).names where (name.hasSuffix(".txt") || name.hasSuffix(".names")) && !kept.contains(name) {
            try? spool.removeFile(name, in: Self.folder)
        }
    }

    /// `archive/jobs/<Y>/<M>/<D>` folders whose parts are numbers (anything else is not the archiver's).
    public func dayFolders() throws -> [String] {
        func numbered(_ folder: String) throws -> [String] {
            guard spool.isFolder(folder) else { return [] }
            var names: [String] = []
            try spool.forEachEntry(in: folder) { name, kind in
                guard !name.isEmpty, name.count <= 4, name.allSatisfy(\.isASCIIDigit) else { return true }
                if kind == .directory || (kind == .unknown && spool.isFolder(folder + "/" + name)) { names.append(folder + "/" + name) }
                return true
            }
            return names.sorted()
        }
        return try numbered(Layout.archivedJobsRoot).flatMap(numbered).flatMap(numbered)
    }
}

extension Character {
    /// True for `0`...`9`.
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
