import Commands
import Foundation
import JobSplitting
import SpoolKit
import Synchronization
import WMCore

/// One document of a subscription's file folder (`available/`, `acquired/`, `completed/`, `failed/`).
///
/// A document holds one file (a JSON object; a file added on its own is named `FileKey.of(lfn)`, `f…`)
/// or a bundle of files (a JSON list, one file per line). Bundles are named by what made them:
/// `b<hash>.json` — the files one `add` gave a consumer; `j<job number>.json` — the files a job acquired
/// (in `acquired/`, then `completed/` or `failed/` with the job): when the job reads only files it was the
/// first to acquire, this is its job document as created, hard-linked (its `inputFiles`; no second file
/// written); otherwise a bundle of those files; `g<group>.json` — a job group's files
/// that failed at creation; `s<job>-<retry>.json` — the inputs an attempt reported skipped.
///
/// Every file of a subscription is in exactly one document of exactly one folder. A file moves by its
/// document being renamed (when all of it moves) or by a new document holding it being published before
/// the old one is rewritten without it, in one group commit; a replay after a crash between the two
/// finds the new document and only rewrites the old one.
public struct WMBSFileDocument: Sendable {
    /// The document's file name.
    public let name: String
    /// Its files.
    public let files: [SplitFile]
    /// The files' keys (`FileKey.of(lfn)`), in the same order (worked out once, by the reader's thread).
    public let keys: [String]

    /// A document holding `files`.
    public init(name: String, files: [SplitFile]) {
        self.name = name
        self.files = files
        keys = files.map { FileKey.of($0.lfn) }
    }
}

extension WMBSStore {
    /// The document holding the files a job acquired: `j<job number>.json` (the number ends the job's name).
    package static func jobBundleName(_ jobName: String) -> String {
        "j" + JobName.numberText(of: jobName) + ".json"
    }

    /// The documents of a subscription's folder, in no particular order. Many documents are read and
    /// decoded on every core; a document another process took meanwhile is left out.
    ///
    /// A document that cannot be read as files stops the call with an error naming the file and the field,
    /// unless `quarantine` is given: then it is moved to the folder's `corrupt/` with that reason (logged
    /// there), and the other documents are returned.
    public func documents(_ workflow: String, _ subscription: String, in state: FileState,
                          quarantine log: Logger? = nil) throws -> [WMBSFileDocument] {
        let folder = fileFolder(workflow, subscription, state)
        let names = try spool.scan(folder, order: .unordered).names
        // Bundles hold thousands of files each: even two documents are worth two cores.
        let read = try concurrentSlices(names.count, serialBelow: 2) { range in
            let decoder = JSONDecoder()
            return names[range].map { name in Result { try document(name, in: folder, decoder: decoder) } }
        }
        var documents: [WMBSFileDocument] = []
        documents.reserveCapacity(read.count)
        for (index, result) in read.enumerated() {
            if let doc = try readOrQuarantine(result, names[index], in: folder, log: log) { documents.append(doc) }
        }
        return documents
    }

    /// The first documents of a subscription's folder in name order, read one after the other until they hold at
    /// least `limit` files, so what is read grows with `limit`, not with the folder; `complete` says whether every
    /// document was read. Unreadable documents are handled as `documents(_:_:in:quarantine:)` does.
    public func firstDocuments(_ workflow: String, _ subscription: String, in state: FileState, holding limit: Int,
                               quarantine log: Logger? = nil) throws -> (documents: [WMBSFileDocument], complete: Bool) {
        let folder = fileFolder(workflow, subscription, state)
        let names = try spool.scan(folder, order: .name).names
        var documents: [WMBSFileDocument] = []
        var files = 0
        for (index, name) in names.enumerated() {
            if files >= limit { return (documents, index == names.count) }
            if let doc = try readOrQuarantine(Result { try document(name, in: folder) }, name, in: folder, log: log) {
                documents.append(doc)
                files += doc.files.count
            }
        }
        return (documents, true)
    }

    /// The document read, nil when it was gone; an error is thrown, or with `log` the document is quarantined
    /// with the error as its reason (and nil returned).
    private func readOrQuarantine(_ result: Result<WMBSFileDocument?, any Error>, _ name: String, in folder: String,
                                  log: Logger?) throws -> WMBSFileDocument? {
        switch result {
        case .success(let doc): return doc
        case .failure(let error):
            guard let log else { throw error }
            log.warning("quarantined", ["file": folder + "/" + name, "reason": "\(error)"])
            try spool.quarantine(name, in: folder, reason: "\(error)")
            return nil
        }
    }

    /// One document of a file folder, or nil when it does not exist; its name's kind chooses the decoder.
    public func document(_ name: String, in folder: String, decoder: JSONDecoder = JSONDecoder()) throws -> WMBSFileDocument? {
        guard let bytes = try spool.read(name, in: folder) else { return nil }
        let path = folder + "/" + name
        switch FileDocumentKind(name) {
        case .singleFile:
            return WMBSFileDocument(name: name, files: [try SplitFileParser.parse(bytes) ?? decode(SplitFile.self, bytes, file: path, decoder: decoder)])
        case .bundle:
            return WMBSFileDocument(name: name, files: try bundleFiles(bytes, path: path, decoder: decoder))
        case .jobFiles:
            // The job's document as created, hard-linked (its input files), or a bundle of the files it acquired.
            if let job = JobDocumentReader.read(bytes) { return WMBSFileDocument(name: name, files: job.inputFiles) }
            if bytes.count > 14 && Self.mentionsInputFiles(bytes) {
                return WMBSFileDocument(name: name, files: try decode(JobDocument.self, bytes, file: path, decoder: decoder).inputFiles)
            }
            return WMBSFileDocument(name: name, files: try bundleFiles(bytes, path: path, decoder: decoder))
        }
    }

    /// The kinds of a file folder's documents, told by the first letter of the name.
    private enum FileDocumentKind {
        /// `f<hash>.json`: one file added on its own (a JSON object).
        case singleFile
        /// `b<hash>.json` (one `add`), `g<group>.json` (failed at creation), `s<job>-<retry>.json` (skipped inputs),
        /// and any other name: a list of files, or one file's object when the bundle holds a single file.
        case bundle
        /// `j<job number>.json`: the files a job acquired — its job document hard-linked, or a bundle.
        case jobFiles

        init(_ name: String) {
            switch name.first {
            case "f": self = .singleFile
            case "j": self = .jobFiles
            default: self = .bundle
            }
        }
    }

    /// The files of a bundle: a JSON list, or (a bundle of one file) that file's object.
    private func bundleFiles(_ bytes: [UInt8], path: String, decoder: JSONDecoder) throws -> [SplitFile] {
        if bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x09 && $0 != 0x0D }) == UInt8(ascii: "[") {
            return try SplitFileParser.parseList(bytes) ?? decode([SplitFile].self, bytes, file: path, decoder: decoder)
        }
        return [try SplitFileParser.parse(bytes) ?? decode(SplitFile.self, bytes, file: path, decoder: decoder)]
    }

    /// True when the text has the key `"inputFiles"` (a job document, not a file).
    private static func mentionsInputFiles(_ bytes: [UInt8]) -> Bool {
        let key = Array("\"inputFiles\"".utf8)
        return bytes.indices.dropLast(key.count - 1).contains { i in bytes[i] == key[0] && bytes[i..<(i + key.count)].elementsEqual(key) }
    }

    /// The files of a subscription in one state, with their keys and the document holding each, in no
    /// particular order.
    public func files(_ workflow: String, _ subscription: String, in state: FileState,
                      quarantine log: Logger? = nil) throws -> [(key: String, file: SplitFile, document: String)] {
        Self.files(of: try documents(workflow, subscription, in: state, quarantine: log))
    }

    /// The files of `documents`, with their keys and the document holding each.
    public static func files(of documents: [WMBSFileDocument]) -> [(key: String, file: SplitFile, document: String)] {
        documents.flatMap { doc in zip(doc.keys, doc.files).map { ($0, $1, doc.name) } }
    }

    /// File keys of a subscription in one state. A single file's document name is its key; bundles are read
    /// (once per process while unchanged: `BundleKeys`).
    public func fileKeys(_ workflow: String, _ subscription: String, in state: FileState) throws -> Set<String> {
        let folder = fileFolder(workflow, subscription, state)
        var keys = Set<String>()
        for name in try spool.scan(folder, order: .unordered).names {
            if name.hasPrefix("f") {
                keys.insert(String(name.dropLast(5)))
                continue
            }
            let path = spool.path(folder) + "/" + name
            guard let stamp = try FileStamp.of(path) else { continue }
            if let known = BundleKeys.shared.keys(at: path, stamp: stamp) {
                keys.formUnion(known)
            } else if let doc = try document(name, in: folder) {
                let read = doc.keys
                BundleKeys.shared.keep(read, at: path, stamp: stamp)
                keys.formUnion(read)
            }
        }
        return keys
    }

    /// Adds files to a fileset: each consumer subscription gets them in `available/`, as one bundle per
    /// call (one document hard-linked into every consumer that lacks the same files), or as a single file's
    /// document when there is one.
    ///
    /// Idempotent: a file a consumer already has (in any of its folders) is not added again. Returns how
    /// many (consumer, file) pairs were added. `new`: LFNs known to be recorded nowhere yet (their
    /// consumers' folders are not searched).
    @discardableResult
    public func add(_ files: [SplitFile], toFileset name: String, workflow: String, in batch: SpoolBatch,
                    new: Set<String> = []) throws -> Int {
        guard let fileset = try fileset(workflow, name) else {
            throw DocumentProblem("\(workflowFolder(workflow))/filesets: no fileset named '\(name)'")
        }
        var known: [String: Set<String>] = [:]
        func has(_ consumer: String, _ key: String) throws -> Bool {
            if known[consumer] == nil {
                known[consumer] = try FileState.allCases.reduce(into: Set<String>()) { $0.formUnion(try fileKeys(workflow, consumer, in: $1)) }
            }
            return known[consumer]!.contains(key)
        }
        // Files grouped by the consumers that lack them (usually all of them: one group).
        var groups: [[String]: [SplitFile]] = [:]
        var order: [[String]] = []
        var seen = Set<String>()
        for file in files {
            let key = FileKey.of(file.lfn)
            guard seen.insert(key).inserted else { continue }
            let missing = new.contains(file.lfn) ? fileset.consumers : try fileset.consumers.filter { try !has($0, key) }
            guard !missing.isEmpty else { continue }
            if groups[missing] == nil { order.append(missing) }
            groups[missing, default: []].append(file)
        }
        var added = 0
        for consumers in order {
            let group = groups[consumers]!
            let name = group.count == 1 ? FileKey.of(group[0].lfn) + ".json"
                                        : "b" + FileKey.of(group.map(\.lfn).joined(separator: "\n")).dropFirst() + ".json"
            try batch.publish(Self.encodeFiles(group), as: name, inEach: consumers.map { fileFolder(workflow, $0, .available) })
            added += group.count * consumers.count
        }
        return added
    }

    /// One move of `relocate`: the files with these keys go into a new document `target` in `folder`.
    public struct FileMove {
        /// The new document's name.
        public var target: String
        /// Its spool-relative folder.
        public var folder: String
        /// The keys of its files.
        public var keys: [String]
        /// True when the caller makes the target itself (e.g. a job document hard-linked under that name,
        /// staged before the relocation): the files only leave their sources.
        public var provided: Bool

        /// Makes a move.
        public init(target: String, in folder: String, keys: [String], provided: Bool = false) {
            self.target = target
            self.folder = folder
            self.keys = keys
            self.provided = provided
        }
    }

    /// Moves files of a subscription from the documents holding them (`sources`, as just read, with their
    /// folders) into new documents, staged in `batch`. A source whose files all go to one target is renamed
    /// to it at once. Otherwise each target is published — unless a target of that name is already in
    /// `acquired/`, `completed/` or `failed/` (an earlier attempt made it; `mayExist` false skips that look
    /// when the targets are new names) — and then every touched source is rewritten without the files that
    /// left it, or discarded when none stays, in that order at commit. Keys found in no source are skipped
    /// (they moved already).
    ///
    /// Every source a batch rewrites must be read after the batch's previous commit (one relocation per
    /// batch and source), or a rewrite could bring back files an earlier rewrite removed.
    public func relocate(_ moves: [FileMove], from sources: [(folder: String, document: WMBSFileDocument)],
                         workflow: String, subscription: String, in batch: SpoolBatch, mayExist: Bool = true) throws {
        try apply(Self.plan(moves, from: sources.map(\.document)), sources: sources.map { ($0.folder, $0.document.name) },
                  workflow: workflow, subscription: subscription, in: batch, mayExist: mayExist)
    }

    /// The relocation `moves` make of files found (by key) in `sources`; keys found nowhere are skipped.
    package static func plan(_ moves: [FileMove], from sources: [WMBSFileDocument]) -> Relocation {
        var located: [String: (source: Int, position: Int)] = [:]
        for (index, source) in sources.enumerated() {
            for (position, key) in source.keys.enumerated() { located[key] = (index, position) }
        }
        var leaving = sources.map { [Bool](repeating: false, count: $0.files.count) }
        var relocation = Relocation()
        for move in moves {
            var files: [SplitFile] = []
            var taken: [Int: Int] = [:]
            for key in move.keys {
                guard let (source, position) = located.removeValue(forKey: key) else { continue }
                files.append(sources[source].files[position])
                taken[source, default: 0] += 1
                leaving[source][position] = true
            }
            guard !files.isEmpty, !move.provided else { continue }
            let whole = taken.count == 1 ? taken.first.flatMap { $0.value == sources[$0.key].files.count ? $0.key : nil } : nil
            relocation.targets.append(.init(name: move.target, folder: move.folder, files: files, wholeSource: whole))
        }
        for (index, source) in sources.enumerated() where leaving[index].contains(true) {
            relocation.rewrites.append((index, zip(source.files, leaving[index]).filter { !$0.1 }.map(\.0)))
        }
        return relocation
    }

    /// What a relocation makes: new documents, and what stays in each source it touches.
    public struct Relocation {
        /// A new document.
        public struct Target {
            /// Makes a target.
            public init(name: String, folder: String, files: [SplitFile], wholeSource: Int?) {
                self.name = name
                self.folder = folder
                self.files = files
                self.wholeSource = wholeSource
            }
            /// Its name and folder.
            public var name: String, folder: String
            /// Its files.
            public var files: [SplitFile]
            /// The source (an index into the sources) to rename into it, when the target is all of that document.
            public var wholeSource: Int?
        }
        /// The new documents.
        public var targets: [Target] = []
        /// Each touched source (an index into the sources) with the files that stay in it (none: it goes).
        public var rewrites: [(source: Int, staying: [SplitFile])] = []
        /// An empty relocation.
        public init() {}
    }

    /// True when a document of this name is in `acquired/`, `completed/` or `failed/` (where moved files go).
    package func hasMovedDocument(_ name: String, _ workflow: String, _ subscription: String) -> Bool {
        [FileState.acquired, .completed, .failed].contains { SystemCall.exists(spool.path(fileFolder(workflow, subscription, $0)) + "/" + name) }
    }

    /// Stages a relocation planned over `sources` (folder and document name), as `relocate` describes.
    package func apply(_ relocation: Relocation, sources: [(folder: String, name: String)], workflow: String, subscription: String,
               in batch: SpoolBatch, mayExist: Bool) throws {
        var renamed = Set<Int>()
        for target in relocation.targets {
            // A whole document moving as it is, into one target: one rename.
            if let source = target.wholeSource {
                switch try batch.move(sources[source].name, from: sources[source].folder, to: target.folder, as: target.name) {
                case .moved, .sourceMissing:
                    renamed.insert(source)
                    continue
                case .targetExists:
                    break
                }
            }
            if mayExist && hasMovedDocument(target.name, workflow, subscription) { continue }
            try batch.publish(Self.encodeFiles(target.files), as: target.name, in: target.folder)
        }
        for (source, staying) in relocation.rewrites where !renamed.contains(source) {
            if staying.isEmpty {
                batch.discard(sources[source].name, in: sources[source].folder)
            } else {
                try batch.replaceContent(of: sources[source].name, in: sources[source].folder, with: Self.encodeFiles(staying))
            }
        }
    }

    /// A finished job's files are completed: its own document (the files it acquired first) moves from
    /// `acquired/` to `completed/` in `batch`; files it shared with an earlier job move with that job's.
    public func completeFiles(of job: JobBody, in batch: SpoolBatch) throws {
        _ = try batch.move(Self.jobBundleName(job.name), from: fileFolder(job.workflow, job.subscription, .acquired),
                           to: fileFolder(job.workflow, job.subscription, .completed))
    }

    /// A failed job's input files are failed (a commit of its own), wherever they are, starting with the job's
    /// own document.
    public func failFiles(of job: JobBody) throws {
        let own = Self.jobBundleName(job.name)
        try fail(Set(job.inputFiles.map { FileKey.of($0.lfn) }), workflow: job.workflow, subscription: job.subscription, as: own, hint: own)
    }

    /// Inputs an attempt skipped (`keys`) are failed into their own document (`s<attempt>.json`, the attempt
    /// as `<job>-<retry>`; a commit of its own), starting with the job's own document.
    public func failSkippedInputs(_ keys: Set<String>, job: String, attempt: String, workflow: String, subscription: String) throws {
        try fail(keys, workflow: workflow, subscription: subscription, as: "s" + attempt + ".json", hint: Self.jobBundleName(job))
    }

    /// Moves files (by key) of a subscription out of `acquired/` and `completed/` into one new document in
    /// `failed/` (WMCore's failed files: a failure wins over a completion), in a batch of its own. Looks in
    /// `hint` (a document of `acquired/`, e.g. the job's own) first and reads the other documents only for
    /// the keys it lacks.
    func fail(_ keys: Set<String>, workflow: String, subscription: String, as target: String, hint: String?) throws {
        guard !keys.isEmpty else { return }
        var sources: [(folder: String, document: WMBSFileDocument)] = []
        let acquired = fileFolder(workflow, subscription, .acquired)
        if let hint, let own = try document(hint, in: acquired) { sources.append((acquired, own)) }
        var missing = keys.subtracting(sources.flatMap { $0.document.keys })
        for state in [FileState.acquired, .completed] where !missing.isEmpty {
            let folder = fileFolder(workflow, subscription, state)
            for document in try documents(workflow, subscription, in: state) where document.name != hint || state != .acquired {
                let holds = document.keys.filter { missing.contains($0) }
                guard !holds.isEmpty else { continue }
                sources.append((folder, document))
                missing.subtract(holds)
            }
        }
        try spool.inBatch { batch in
            try relocate([FileMove(target: target, in: fileFolder(workflow, subscription, .failed), keys: keys.sorted())], from: sources,
                         workflow: workflow, subscription: subscription, in: batch)
        }
    }

    /// A document holding `files`: a single file's object, or a list with one file per line.
    static func encodeFiles(_ files: [SplitFile]) -> [UInt8] {
        if files.count == 1 { return JobDocumentWriter.file(files[0]) + [UInt8(ascii: "\n")] }
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(files.count * 200)
        for (i, file) in files.enumerated() {
            out.append(contentsOf: i == 0 ? [UInt8(ascii: "\n")] : [UInt8(ascii: ","), UInt8(ascii: "\n")])
            out.append(contentsOf: JobDocumentWriter.file(file))
        }
        out.append(contentsOf: [UInt8(ascii: "\n"), UInt8(ascii: "]"), UInt8(ascii: "\n")])
        return out
    }
}

/// The keys of bundle documents read in this process, by path, kept while the file's stamp is unchanged: the
/// sibling subscriptions' `completed/` and `failed/` (cleanup splitting) and a consumer's folders (an
/// injection looking for files it already has) are read again and again.
final class BundleKeys: Sendable {
    static let shared = BundleKeys()
    private let entries = Mutex(StampedEntries<[String]>(capacity: 200_000))

    /// The keys read from `path` when it had `stamp`, if any.
    func keys(at path: String, stamp: FileStamp) -> [String]? {
        entries.withLock { $0.value(at: path, stamp: stamp) }
    }

    /// Keeps the keys read from `path`, whose file had `stamp` before the read.
    func keep(_ keys: [String], at path: String, stamp: FileStamp) {
        entries.withLock { $0.keep(keys, at: path, stamp: stamp) }
    }
}
