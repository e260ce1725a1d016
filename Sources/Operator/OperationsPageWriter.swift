import Commands
import Foundation
import SpoolKit
import SpoolLayout

/// Builds the operations pages from a spool and publishes them by rename: `wmctl report --html` and every
/// `wmagent run` pass share it, so the pages in `<spool>/www/` are made one way.
///
/// The pages are `index.html`, `index-2.html`, … (at most `pageSize` requests each) and `requests/<request>.html`
/// (`OperationsPage.site`). A page whose content did not change is not written again; index pages beyond the last
/// and pages of requests gone from the spool are removed.
public struct OperationsPageWriter {
    /// The spool the pages are built from.
    public let spool: Spool
    /// Seconds of backlog without progress that make a stage STUCK.
    public var stuckAfter: Double
    /// Requests listed on one index page.
    public var pageSize: Int

    /// A writer for `spool`.
    public init(spool: Spool, stuckAfter: Double = Double(Wmctl.defaultStuckAfter), pageSize: Int = OperationsPage.defaultPageSize) {
        self.spool = spool
        self.stuckAfter = stuckAfter
        self.pageSize = pageSize
    }

    /// `<spool>/www`, where the pages are published unless told otherwise.
    public var spoolPageFolder: String { spool.path(Layout.operationsPageFolder) }

    /// `<spool>/www/index.html`, the first index page in the spool.
    public var spoolPagePath: String { spoolPageFolder + "/" + Layout.operationsPageFile }

    /// The report as the spool stands at `now` (reading only).
    public func report(now: Double) throws -> OperationsReport {
        try OperationsReportBuilder(spool: spool, stuckAfter: stuckAfter).build(now: now)
    }

    /// What publishing did: pages written, pages left as they were, stale pages removed.
    public struct Published: Equatable, Sendable {
        /// Pages written (new or changed).
        public var written = 0
        /// Pages whose content was already there.
        public var unchanged = 0
        /// Stale pages removed.
        public var removed = 0
    }

    /// Builds the pages at `now` and publishes them in `<spool>/www/` (making it when missing), then keeps the archive's
    /// activity digests in `www/.activity/` (best effort); returns the report they show and what was written.
    ///
    /// - Throws: `CommandFailure(.cantCreate, …)` naming the path when a page cannot be written.
    @discardableResult
    public func publishInSpool(now: Double) throws -> (report: OperationsReport, published: Published) {
        let built = try OperationsReportBuilder(spool: spool, stuckAfter: stuckAfter).buildWithDigests(now: now)
        let published = try publish(OperationsPage.site(built.report, pageSize: pageSize), into: nil)
        try? ArchiveActivityCache(spool: spool).save(built.digests)
        return (built.report, published)
    }

    /// Writes each page of `site` (paths relative to the folder) by rename, so a reader sees an old page or a new one,
    /// never half of one: into `directory` (made when missing, its parent must exist) through Foundation's atomic write,
    /// or, when `directory` is nil, into `<spool>/www/` through the substrate (a temporary file in `.tmp/`, renamed).
    /// Then removes index pages and request pages not in `site`.
    @discardableResult
    public func publish(_ site: [(path: String, html: String)], into directory: String?) throws -> Published {
        let folder = directory ?? spoolPageFolder
        var result = Published()
        var target = folder
        do {
            if directory == nil { try spool.ensureDirectories([Layout.operationsPageFolder + "/" + OperationsPage.requestsFolder]) } else {
                try FileManager.default.createDirectory(atPath: folder + "/" + OperationsPage.requestsFolder, withIntermediateDirectories: true)
            }
            let batch = directory == nil ? SpoolBatch(spool: spool) : nil
            for page in site {
                target = folder + "/" + page.path
                let bytes = Array(page.html.utf8)
                if existing(page.path, in: directory) == bytes {
                    result.unchanged += 1
                    continue
                }
                if let batch { try batch.writeFile(bytes, at: target) } else { try Data(bytes).write(to: URL(fileURLWithPath: target), options: .atomic) }
                result.written += 1
            }
            _ = try batch?.commit()
            target = folder
            result.removed = try removeStale(in: folder, keeping: Set(site.map(\.path)))
        } catch {
            throw CommandFailure(.cantCreate, "cannot write the operations page to '\(target)': \(error)")
        }
        return result
    }

    /// The bytes of the page at `path` (relative) in `directory`, else in `<spool>/www/` (read without following a
    /// link there); nil when it is not there or cannot be read (it is then written).
    func existing(_ path: String, in directory: String?) -> [UInt8]? {
        guard directory == nil else { return FileManager.default.contents(atPath: directory! + "/" + path).map(Array.init) }
        let parts = path.split(separator: "/")
        let folder = ([Layout.operationsPageFolder] + parts.dropLast().map(String.init)).joined(separator: "/")
        return (try? spool.read(String(parts.last ?? ""), in: folder, limit: 1 << 28)) ?? nil
    }

    /// Removes from `folder` the index pages (`index-<n>.html`) and request pages (`requests/*.html`) not in `keep`;
    /// returns how many.
    func removeStale(in folder: String, keeping keep: Set<String>) throws -> Int {
        let files = FileManager.default
        var removed = 0
        for name in try files.contentsOfDirectory(atPath: folder) where name.hasPrefix("index-") && name.hasSuffix(".html") && !keep.contains(name) {
            try files.removeItem(atPath: folder + "/" + name)
            removed += 1
        }
        let requests = folder + "/" + OperationsPage.requestsFolder
        for name in try files.contentsOfDirectory(atPath: requests) where name.hasSuffix(".html") {
            let path = OperationsPage.requestsFolder + "/" + name
            if !keep.contains(path) {
                try files.removeItem(atPath: requests + "/" + name)
                removed += 1
            }
        }
        return removed
    }
}
