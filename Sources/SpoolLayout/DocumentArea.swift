import Commands
import Foundation
import SpoolKit
import WMCore

/// A spool area whose documents follow a state table: one folder per state (`jobs/created`, ...).
///
/// This is where "the directory is the state" lives: every document a stage scans goes through
/// `load`, which reconciles the recorded state with the folder it was found in and quarantines what
/// cannot be read, with a reason naming the file, the field and what was expected.
public struct DocumentArea<Body: SpoolDocumentBody> {
    /// The spool.
    public let spool: Spool
    /// The area's folder, e.g. `jobs`.
    public let area: String
    /// The schema version this code reads.
    public let schemaVersion: Int
    /// File-name suffix of documents.
    public let suffix = ".json"
    /// Decoded documents kept across cycles (nil: every load reads and decodes).
    public var cache: DocumentCache<Body>?

    /// Makes an area handle; `ensureFolders()` creates the folders.
    public init(spool: Spool, area: String, schemaVersion: Int, cache: DocumentCache<Body>? = nil) {
        self.spool = spool
        self.area = area
        self.schemaVersion = schemaVersion
        self.cache = cache
    }

    /// The spool-relative folder of a state.
    public func folder(_ state: Body.State) -> String { area + "/" + state.rawValue }

    /// Creates every state folder and `corrupt/`.
    public func ensureFolders() throws {
        try spool.ensureDirectories(Body.State.allCases.map { folder($0) } + [area + "/" + Spool.corruptFolderName])
    }

    /// The file name of a document.
    public func fileName(_ name: String) -> String { name + suffix }

    /// The document name of a file, or nil for files that are not documents of this area.
    public func documentName(_ fileName: String) -> String? {
        fileName.hasSuffix(suffix) ? String(fileName.dropLast(suffix.count)) : nil
    }

    /// Lists up to `limit` document names in a state folder, in order, quarantining non-documents.
    public func scan(_ state: Body.State, limit: Int = Int.max, order: ScanOrder = .name,
                     log: Logger? = nil) throws -> [String] {
        let dir = folder(state)
        let result = try spool.scan(dir, limit: limit, order: order)
        if let cache, limit == Int.max { cache.retain(in: spool.path(dir), only: Set(result.names)) }
        return try documentNames(result, in: dir, log: log)
    }

    /// Takes up to `limit` document names of a state folder in listing order, continuing where the last take of
    /// that folder stopped (`Spool.take`: the cost grows with `limit`, not with the folder, and no document
    /// starves), quarantining non-documents. The cache keeps only this window's documents of the folder, so it
    /// holds at most `limit` of them however many pass through.
    public func take(_ state: Body.State, limit: Int, log: Logger? = nil) throws -> [String] {
        let dir = folder(state)
        let result = try spool.take(dir, limit: limit)
        cache?.retain(in: spool.path(dir), only: Set(result.names))
        return try documentNames(result, in: dir, log: log)
    }

    /// The document names of a listing of `dir`, quarantining what is no document of this area.
    private func documentNames(_ result: ScanResult, in dir: String, log: Logger?) throws -> [String] {
        for entry in result.ignored {
            log?.warning("quarantined", ["file": dir + "/" + entry.name, "reason": entry.explanation])
            try spool.quarantine(entry, in: dir)
        }
        var names: [String] = []
        for file in result.names where !DocumentArea.isSideFile(file) {
            if let name = documentName(file) {
                names.append(name)
            } else {
                let why = "'\(file)' does not end in '\(suffix)'; documents in \(dir) are named <name>\(suffix)"
                log?.warning("quarantined", ["file": dir + "/" + file, "reason": why])
                try spool.quarantine(file, in: dir, reason: why)
            }
        }
        return names
    }

    /// True for files kept beside documents that are not documents themselves: `<name>.reason`
    /// (why something was refused) and `<name>.submission` (a refused submission, kept as it came).
    public static func isSideFile(_ name: String) -> Bool {
        name.hasSuffix(".reason") || name.hasSuffix(".submission")
    }

    /// The outcome of loading a document.
    public enum Loaded {
        /// The document, its recorded state now equal to its folder.
        case document(Annotated<Body>)
        /// The document was gone (another process took it).
        case gone
        /// The document was quarantined for the given reason.
        case quarantined(reason: String)
    }

    /// Reads a document without repairing, reconciling or quarantining anything (for dry runs): nil when it
    /// is gone, unreadable, named otherwise, or records another state than its folder.
    public func peek(_ name: String, in state: Body.State) throws -> Annotated<Body>? {
        let file = fileName(name)
        guard let bytes = try spool.read(file, in: folder(state)), case .success(let doc) = decode(bytes, file: folder(state) + "/" + file),
              doc.name == name, doc.state == state else { return nil }
        return doc
    }

    /// Reads a document from a state folder and applies the directory-is-the-state rule.
    ///
    /// When the recorded state differs from the folder, a move was not yet recorded (a crash between
    /// rename and rewrite, or an operator's `mv`): if the table allows it the transition is recorded
    /// with actor `operator` and the document rewritten in place; otherwise it is quarantined with a
    /// reason naming both states. Unreadable documents are quarantined too, and so is whatever is no
    /// document at all (a FIFO, device, socket, directory or link, or a file over `Spool.documentSizeLimit`).
    public func load(_ name: String, in state: Body.State, now: Double = SystemCall.now(),
                     log: Logger? = nil) throws -> Loaded {
        let dir = folder(state)
        let file = fileName(name)
        let path = spool.path(dir) + "/" + file
        let stamp = try cache?.stamp(path)
        if let stamp, let doc = cache?.document(at: path, stamp: stamp) { return .document(doc) }
        var refused: String?
        guard let bytes = try spool.readQueued(file, in: dir, quarantined: { refused = $0 }) else {
            guard let refused else { return .gone }
            log?.warning("quarantined", ["file": dir + "/" + file, "reason": refused])
            return .quarantined(reason: refused)
        }
        switch decode(bytes, file: dir + "/" + file) {
        case .failure(let problem):
            return try quarantine(file, in: dir, reason: problem.description, log: log)
        case .success(var doc):
            if doc.name != name {
                return try quarantine(file, in: dir, reason: "\(dir)/\(file): field 'name' is '\(doc.name)', expected '\(name)' (the file name); "
                                      + "a copy under another name is never run: \(whereabouts(of: doc.name))", log: log)
            }
            if doc.state == state {
                if let stamp { cache?.keep(doc, at: path, stamp: stamp) }
                return .document(doc)
            }
            let recorded = doc.state
            // A move not yet recorded, or a copy: one copy, always. Only this rare path looks at the other folders.
            if let other = try otherCopy(of: file, besides: state, recorded: recorded) {
                let why = "\(dir)/\(file): a second copy of '\(name)' (recorded state '\(recorded.rawValue)', found in '\(state.rawValue)/'); "
                    + "the document is also in \(folder(other))/\(file), which stays; a document exists in one place only"
                return try quarantine(file, in: dir, reason: why, log: log)
            }
            if isInFlux(path) { return .gone }
            guard recorded.canMove(to: state) else {
                let why = "\(dir)/\(file): recorded state '\(recorded.rawValue)' but found in '\(state.rawValue)/'; "
                    + "the \(String(describing: Body.State.self)) table does not allow \(recorded.rawValue) → \(state.rawValue)"
                return try quarantine(file, in: dir, reason: why, log: log)
            }
            try doc.transition(to: state, actor: "operator", reason: "found in \(state.rawValue)/ (moved by hand or before a crash)", at: now)
            try spool.inBatch { batch in
                try batch.replaceContent(of: file, in: dir, with: try encode(doc))
            }
            log?.info("recorded move", ["document": name, "from": recorded.rawValue, "to": state.rawValue, "actor": "operator"])
            return .document(doc)
        }
    }

    /// Seconds a document whose recorded state differs from its folder is left alone after it last changed, on a
    /// central spool: several agents' processes move elements and requests there, and a document moved by one
    /// (`SpoolBatch.moveReplacingContent`: rename first, new content at commit) must not be taken for an
    /// operator's move by another that reads it in between. An operator's `mv` is recorded once it is this old.
    public static var settleSeconds: Double { 10 }

    /// True when `path` is on a central spool and changed (its ctime: a rename or rewrite) less than
    /// `settleSeconds` ago.
    func isInFlux(_ path: String) -> Bool {
        guard SpoolRoles.role(of: spool) == .central, let st = try? SystemCall.lstat(path) else { return false }
        let changed = Double(st.st_ctim.tv_sec) + Double(st.st_ctim.tv_nsec) / 1e9
        return SystemCall.now() - changed < Self.settleSeconds
    }

    /// The state folder, other than `state`, that holds another copy of `file` (a different file), or nil.
    ///
    /// A second name for the same file in the folder of its `recorded` state is what a crash leaves between the
    /// `link` and the `unlink` of a no-clobber rename on a file system without `RENAME_NOREPLACE`: that rename is
    /// finished here (the old name removed), and the document is no copy.
    func otherCopy(of file: String, besides state: Body.State, recorded: Body.State) throws -> Body.State? {
        let here = try FileStamp.of(spool.path(folder(state)) + "/" + file)
        for other in Body.State.allCases where other != state {
            guard let there = try FileStamp.of(spool.path(folder(other)) + "/" + file) else { continue }
            if let here, other == recorded, here.isSameFile(as: there) {
                try? spool.removeFile(file, in: folder(other))
                continue
            }
            return other
        }
        return nil
    }

    /// Where the document `name` is, in words, for reasons: its state folders, or that no state folder holds it.
    package func whereabouts(of name: String) -> String {
        let file = fileName(name)
        let found = Body.State.allCases.filter { SystemCall.exists(spool.path(folder($0)) + "/" + file) }
        return found.isEmpty ? "no state folder of \(area)/ holds \(file)"
            : "the document of '\(name)' is " + found.map { folder($0) + "/" + file }.joined(separator: " and ")
    }

    /// Moves a changed document from the folder it was loaded in to the folder of its new state, one
    /// recorded transition at a time, staging its final content in `batch`.
    ///
    /// A stage may make several transitions in one go (assigned → staging → staged; jobfailed →
    /// jobcooloff → created). Renaming straight to the last folder would let a crash leave the old
    /// content (recorded state two steps behind) in the new folder, which `load` must quarantine as an
    /// illegal move. So each intermediate state is a real hop: rename into its folder, rewrite the
    /// content there (the `original` replayed up to that transition) and only then take the next hop. A
    /// crash anywhere leaves a document at most one legal step behind its folder, which `load` repairs.
    public func move(_ doc: Annotated<Body>, original: Annotated<Body>, from: Body.State,
                     batch: SpoolBatch) throws -> NoClobberRename.Outcome {
        let file = fileName(doc.name)
        var hop = original
        var here = from
        for step in doc.history.dropFirst(original.history.count).dropLast() {
            guard let next = Body.State(rawValue: step.to) else { break }
            try hop.transition(to: next, actor: step.actor, reason: step.reason, at: step.time)
            let outcome = try spool.move(file, from: folder(here), to: folder(next))
            guard outcome == .moved else { return outcome }
            here = next
            let content = try encode(hop)
            try spool.inBatch { try $0.replaceContent(of: file, in: folder(next), with: content) }
        }
        return try batch.moveReplacingContent(file, from: folder(here), to: folder(doc.state), with: try encode(doc))
    }

    /// Decodes a document with its body's codec, checking its schema version; failures are explained in words.
    public func decode(_ bytes: [UInt8], file: String) -> Result<Annotated<Body>, DocumentProblem> {
        Body.Codec.decode(bytes, schema: schemaVersion, file: file)
    }

    /// Decodes a document with `JSONDecoder` only (the reference of every codec, and the fallback of job documents').
    public func decodeWithJSONDecoder(_ bytes: [UInt8], file: String) -> Result<Annotated<Body>, DocumentProblem> {
        JSONDocumentCodec<Body>.decode(bytes, schema: schemaVersion, file: file)
    }

    /// Encodes a document with its body's codec (sorted keys, so files diff well).
    public func encode(_ doc: Annotated<Body>) throws -> [UInt8] { try Body.Codec.encode(doc) }

    private func quarantine(_ file: String, in dir: String, reason: String, log: Logger?) throws -> Loaded {
        log?.warning("quarantined", ["file": dir + "/" + file, "reason": reason])
        try spool.quarantine(file, in: dir, reason: reason)
        return .quarantined(reason: reason)
    }
}

/// Explains a `DecodingError` as "file: field 'a.b': expected X".
public func describeDecodingError(_ error: Error, file: String) -> String {
    func path(_ keys: [CodingKey]) -> String {
        keys.isEmpty ? "(top level)" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
    switch error {
    case DecodingError.keyNotFound(let key, let context):
        return "\(file): field '\(path(context.codingPath + [key]))' is missing; it is required"
    case DecodingError.typeMismatch(let type, let context):
        return "\(file): field '\(path(context.codingPath))' has the wrong type; expected \(type)"
    case DecodingError.valueNotFound(let type, let context):
        return "\(file): field '\(path(context.codingPath))' is null; expected \(type)"
    case DecodingError.dataCorrupted(let context):
        let underlying = (context.underlyingError as NSError?)?.localizedDescription ?? context.debugDescription
        if context.codingPath.isEmpty { return "\(file): not valid JSON (\(underlying))" }
        return "\(file): field '\(path(context.codingPath))': \(context.debugDescription)"
    default:
        return "\(file): \(error)"
    }
}
