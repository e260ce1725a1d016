import Foundation
import SpoolKit
import WMCore

/// A type-erased view of one document area, for the operator tools (`wmctl status|ls|show|fsck`).
public struct AreaDescriptor {
    /// Spool-relative folder of the state folders, e.g. `jobs` or `dbsbuffer/blocks` (it may hold a slash).
    public var area: String
    /// State folder names in table order.
    public var states: [String]
    /// Reads one document: its name and recorded state, or a problem.
    public var inspect: (_ spool: Spool, _ file: String, _ state: String) -> Inspection
    /// Applies the directory-is-the-state rule to one document (record or quarantine).
    public var reconcile: (_ spool: Spool, _ name: String, _ state: String) throws -> String
    /// Renders a document as pretty JSON (slashes unescaped: datasets, block names and LFNs read as written).
    public var render: (_ spool: Spool, _ name: String, _ state: String) throws -> Data?
    /// The file-name suffix of documents.
    public var suffix: String

    /// What `inspect` found.
    public enum Inspection {
        /// A readable document with its name and recorded state.
        case document(name: String, recordedState: String, history: [Transition])
        /// Gone while looking.
        case gone
        /// Unreadable, with the reason.
        case problem(String)
    }

    /// Describes an area of documents of `Body`.
    public static func of<Body: SpoolDocumentBody>(_ type: Body.Type, area: String, schema: Int) -> AreaDescriptor {
        func handle(_ spool: Spool) -> DocumentArea<Body> { DocumentArea<Body>(spool: spool, area: area, schemaVersion: schema) }
        return AreaDescriptor(
            area: area,
            states: Body.State.allCases.map(\.rawValue),
            inspect: { spool, file, state in
                let h = handle(spool)
                guard let bytes = try? spool.read(file, in: area + "/" + state) else { return .problem("\(area)/\(state)/\(file): unreadable") }
                switch h.decode(bytes, file: area + "/" + state + "/" + file) {
                case .success(let doc): return .document(name: doc.name, recordedState: doc.state.rawValue, history: doc.history)
                case .failure(let p): return .problem(p.description)
                }
            },
            reconcile: { spool, name, state in
                switch try handle(spool).load(name, in: try Body.State(named: state)) {
                case .document: return "recorded"
                case .gone: return "gone"
                case .quarantined(let reason): return "quarantined: " + reason
                }
            },
            render: { spool, name, state in
                let h = handle(spool)
                guard let bytes = try spool.read(h.fileName(name), in: area + "/" + state) else { return nil }
                let object = try JSONSerialization.jsonObject(with: Data(bytes))
                return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            },
            suffix: ".json")
    }
}

/// The spool's document areas: the folders whose state folders are the documents' states.
public enum Areas {
    /// `reqmgr/`: requests, one folder per ReqMgr2 status.
    public static func requests(_ spool: Spool) -> DocumentArea<RequestBody> {
        DocumentArea<RequestBody>(spool: SpoolRoles.central(of: spool), area: Layout.requests, schemaVersion: requestSchemaVersion)
    }

    /// `workqueue/`: work-queue elements, one folder per element status.
    public static func elements(_ spool: Spool) -> DocumentArea<ElementBody> {
        DocumentArea<ElementBody>(spool: SpoolRoles.central(of: spool), area: Layout.elements, schemaVersion: elementSchemaVersion)
    }

    /// `jobs/`: job documents, one folder per job state (the 18 WMCore states); `cache` keeps decoded
    /// documents across a stage's cycles.
    public static func jobs(_ spool: Spool, cache: DocumentCache<JobBody>? = nil) -> DocumentArea<JobBody> {
        DocumentArea<JobBody>(spool: spool, area: Layout.jobsRoot, schemaVersion: jobSchemaVersion, cache: cache)
    }

    /// `dbsbuffer/blocks/`: DBS blocks, one folder per block state.
    public static func blocks(_ spool: Spool) -> DocumentArea<BlockBody> {
        DocumentArea<BlockBody>(spool: spool, area: Layout.blocksRoot, schemaVersion: dbsBufferSchemaVersion)
    }

    /// Every document area, for the operator tools (`wmctl status|ls|show|fsck`).
    public static var all: [AreaDescriptor] {
        [AreaDescriptor.of(RequestBody.self, area: Layout.requests, schema: requestSchemaVersion),
         AreaDescriptor.of(ElementBody.self, area: Layout.elements, schema: elementSchemaVersion),
         AreaDescriptor.of(JobBody.self, area: Layout.jobsRoot, schema: jobSchemaVersion),
         AreaDescriptor.of(BlockBody.self, area: Layout.blocksRoot, schema: dbsBufferSchemaVersion)]
    }
}

extension Areas {
    /// Job states that still need a stage (everything but cleanout and the operator's paused states).
    public static let activeJobStates: [JobState] = JobState.allCases.filter { $0 != .cleanout && !$0.isPaused }

    /// Jobs in states a stage still has to act on (`wmctl pending` prints it; 0 means no job in flight). Created jobs of
    /// a workflow whose submissions are stopped for its failure rate wait for an operator, as paused jobs do, and are
    /// not counted.
    public static func activeJobCount(_ spool: Spool) throws -> Int {
        let area = jobs(spool)
        let count = try activeJobStates.reduce(0) { $0 + (try spool.scan(area.folder($1)).names.count) }
        let heldPrefixes = try SubmissionStopStore(spool: spool).all().filter(\.isHolding).map { WMBSStore.workflowKey($0.workflow) + "-" }
        guard !heldPrefixes.isEmpty else { return count }
        let held = try spool.scan(area.folder(.created)).names.filter { name in heldPrefixes.contains { name.hasPrefix($0) } }.count
        return count - held
    }
}
