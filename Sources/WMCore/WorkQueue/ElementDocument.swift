import JobSplitting

/// The schema version of work-queue element documents this code reads and writes.
public let elementSchemaVersion = 1

/// Where an ACDC element's work comes from: the ACDC server, database, and the collection (original request)
/// and fileset (task path) holding the failed work.
public struct ACDCReference: Codable, Hashable, Sendable {
    /// ACDC server URL.
    public var server: String
    /// ACDC database.
    public var database: String
    /// Collection: the original request name.
    public var collection: String
    /// Fileset: the task path of the failed work.
    public var fileset: String

    /// Makes a reference.
    public init(server: String, database: String, collection: String, fileset: String) {
        self.server = server
        self.database = database
        self.collection = collection
        self.fileset = fileset
    }
}

/// Progress counters an agent reports for an element.
public struct ElementProgress: Codable, Hashable, Sendable {
    /// Jobs finished successfully.
    public var jobsSucceeded: Int
    /// Jobs that failed for good.
    public var jobsFailed: Int
    /// Events processed.
    public var eventsProcessed: Int

    /// Makes counters (all zero by default).
    public init(jobsSucceeded: Int = 0, jobsFailed: Int = 0, eventsProcessed: Int = 0) {
        self.jobsSucceeded = jobsSucceeded
        self.jobsFailed = jobsFailed
        self.eventsProcessed = eventsProcessed
    }

    /// Failed fraction of finished jobs (0 when none finished).
    public var failureFraction: Double {
        let finished = jobsSucceeded + jobsFailed
        return finished == 0 ? 0 : Double(jobsFailed) / Double(finished)
    }
}

/// A work-queue element: one slice of a request's top-level task, with its state and history (§10 fields).
public struct ElementBody: StatefulBody, Hashable {
    /// Schema version (`elementSchemaVersion`).
    public var schema: Int
    /// The element id (also its file name): see `ElementBody.makeID`.
    public var name: String
    /// The request.
    public var requestName: String
    /// The task path.
    public var taskName: String
    /// Start policy that made it: MonteCarlo, Block, Dataset, ResubmitBlock.
    public var startPolicy: String
    /// End policy (only SingleShot exists).
    public var endPolicy: String
    /// Input data → sites (PSNs) holding it; empty for MonteCarlo.
    public var inputs: [String: [String]]
    /// Parent data → sites (when the request includes parents).
    public var parentData: [String: [String]]
    /// True when the task reads parents too.
    public var parentFlag: Bool
    /// Pileup dataset → sites.
    public var pileupData: [String: [String]]
    /// The part of the input to process (MonteCarlo: contiguous events and lumis of run 1).
    public var mask: JobMask?
    /// Estimated jobs.
    public var jobs: Int
    /// Events in the slice.
    public var numberOfEvents: Int
    /// Lumis in the slice.
    public var numberOfLumis: Int
    /// Files in the slice.
    public var numberOfFiles: Int
    /// Priority (the request's effective priority; the validation sample gets the top priority).
    public var priority: Int
    /// Creation time, seconds since the epoch (priority aging counts from here).
    public var creationTime: Double
    /// Sites the request allows.
    public var siteWhitelist: [String]
    /// Sites the request forbids.
    public var siteBlacklist: [String]
    /// True when site lists are trusted over data location.
    public var trustSitelists: Bool
    /// Team that may take it.
    public var teamName: String
    /// The catalog (DBS) URL.
    public var dbs: String
    /// ACDC origin of a resubmission element.
    public var acdc: ACDCReference?
    /// True for the validation sample of its request.
    public var validationSample: Bool
    /// True while held until the request's validation sample succeeds.
    public var heldForValidation: Bool
    /// The agent that acquired it.
    public var agent: String?
    /// True when an input location update must not change `inputs`.
    public var noInputUpdate: Bool
    /// True when a pileup location update must not change `pileupData`.
    public var noPileupUpdate: Bool
    /// True when more data may arrive for it (Block policy on open datasets).
    public var openForNewData: Bool
    /// Progress reported by the agent.
    public var progress: ElementProgress
    /// Current status.
    public var state: ElementStatus
    /// Every transition, oldest first.
    public var history: [Transition]

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case schema, name, requestName, taskName, startPolicy, endPolicy, inputs, parentData, parentFlag, pileupData
        case mask, jobs, numberOfEvents, numberOfLumis, numberOfFiles, priority, creationTime, siteWhitelist
        case siteBlacklist, trustSitelists, teamName, dbs, acdc, validationSample, heldForValidation, agent
        case noInputUpdate, noPileupUpdate, openForNewData, progress, state, history
    }

    /// Makes an Available element; its id is computed from the identifying fields.
    public init(requestName: String, taskName: String, startPolicy: String, inputs: [String: [String]] = [:],
                mask: JobMask? = nil, jobs: Int, numberOfEvents: Int = 0, numberOfLumis: Int = 0, numberOfFiles: Int = 0,
                priority: Int, creationTime: Double, siteWhitelist: [String] = [], siteBlacklist: [String] = [],
                trustSitelists: Bool = false, teamName: String = "", dbs: String = "", acdc: ACDCReference? = nil,
                parentData: [String: [String]] = [:], pileupData: [String: [String]] = [:], openForNewData: Bool = false) {
        schema = elementSchemaVersion
        name = Self.makeID(requestName: requestName, taskName: taskName, inputs: Array(inputs.keys), mask: mask,
                           acdc: acdc, dbs: dbs)
        self.requestName = requestName
        self.taskName = taskName
        self.startPolicy = startPolicy
        endPolicy = "SingleShot"
        self.inputs = inputs
        self.parentData = parentData
        parentFlag = !parentData.isEmpty
        self.pileupData = pileupData
        self.mask = mask
        self.jobs = jobs
        self.numberOfEvents = numberOfEvents
        self.numberOfLumis = numberOfLumis
        self.numberOfFiles = numberOfFiles
        self.priority = priority
        self.creationTime = creationTime
        self.siteWhitelist = siteWhitelist
        self.siteBlacklist = siteBlacklist
        self.trustSitelists = trustSitelists
        self.teamName = teamName
        self.dbs = dbs
        self.acdc = acdc
        validationSample = false
        heldForValidation = false
        agent = nil
        noInputUpdate = false
        noPileupUpdate = false
        self.openForNewData = openForNewData
        progress = ElementProgress()
        state = .available
        history = [Transition(from: "none", to: ElementStatus.available.rawValue, time: creationTime,
                              actor: "workqueue", reason: "created by the \(startPolicy) start policy")]
    }

    /// WMCore's element id: md5 over the request name, task, sorted inputs, ACDC fields (sorted by key), DBS URL
    /// and mask fields (sorted by key, values as text). Stable: the same slice always gets the same id.
    public static func makeID(requestName: String, taskName: String, inputs: [String], mask: JobMask?,
                              acdc: ACDCReference?, dbs: String) -> String {
        var hash = MD5()
        hash.update(requestName)
        hash.update(taskName)
        for input in inputs.sorted() { hash.update(input) }
        if let acdc {
            for (key, value) in [("collection", acdc.collection), ("database", acdc.database),
                                 ("fileset", acdc.fileset), ("server", acdc.server)] {
                hash.update(key)
                hash.update(value)
            }
        }
        hash.update(dbs)
        if let mask {
            let fields: [(String, Int?)] = [("FirstEvent", mask.firstEvent), ("FirstLumi", mask.firstLumi),
                                            ("FirstRun", mask.firstRun), ("LastEvent", mask.lastEvent),
                                            ("LastLumi", mask.lastLumi), ("LastRun", mask.lastRun)]
            for (key, value) in fields {
                hash.update(key)
                hash.update(value.map(String.init) ?? "None")
            }
            for entry in mask.runAndLumis.sorted(by: { $0.run < $1.run }) {
                hash.update("\(entry.run):\(entry.ranges.map { "\($0)" }.joined(separator: ","))")
            }
        }
        return hash.hexDigest()
    }
}

/// A work-queue element document as stored: the typed body plus any keys operators added.
public typealias ElementDocument = Annotated<ElementBody>

extension ElementBody {
    /// WMCore's `resetWork`: an element an agent held (Acquired or Running) goes back to Available, with no agent, for
    /// any agent to pull. Not a move of the state table (an operator's `mv Running/ Available/` stays refused): the
    /// global queue resets only the elements of an agent it has fenced off their request (`AgentLedger`).
    ///
    /// - Throws: `StateError.illegalTransition` for an element in any other state.
    public mutating func reset(actor: String, reason: String, at time: Double) throws {
        guard state == .acquired || state == .running else {
            throw StateError.illegalTransition(kind: String(describing: ElementStatus.self), from: state.rawValue, to: ElementStatus.available.rawValue)
        }
        history.append(Transition(from: state.rawValue, to: ElementStatus.available.rawValue, time: time, actor: actor, reason: reason))
        state = .available
        agent = nil
    }
}
