import SpoolKit
import WMCore

/// The spool map of `spool/README.md` in code: every folder of the spool, spelled here and nowhere else
/// (the substrate's own `.tmp/`, `.spare/`, `.spare-dirs/` and `.locks/` are SpoolKit's).
///
/// Paths are spool-relative strings, because the substrate's API takes folders as strings and knows nothing
/// of CMS; what is typed is how a path is asked for: `Layout.jobs(.created)`,
/// `Layout.wmbs(workflow).subscription(name).files(.available)`, `Layout.blocks(.open)`. State folders are
/// named by their state's raw value (the directory is the state). `ArchitectureTests` fails when a folder
/// name is spelled outside this module.
public enum Layout {
    // MARK: Health and configuration

    /// `.status/`: each stage's health record (`<stage>.json`).
    public static let health = ".status"
    /// `etc/`: the spool's configuration.
    public static let configuration = "etc"
    /// The agent configuration's file name in `etc/`.
    public static let agentConfigurationFile = "agent.json"
    /// The site configuration's file name in `etc/`.
    public static let siteConfigurationFile = "sites.json"
    /// `etc/agent.json`.
    public static let agentConfiguration = configuration + "/" + agentConfigurationFile
    /// `etc/sites.json`.
    public static let siteConfiguration = configuration + "/" + siteConfigurationFile
    /// The Tier-0 configuration's file name in `etc/`.
    public static let tier0ConfigurationFile = "t0.json"
    /// `etc/t0.json`: the Tier-0 configuration (menus, streams, PromptReco).
    public static let tier0Configuration = configuration + "/" + tier0ConfigurationFile
    /// `t0/`: the Tier-0's folders.
    public static let tier0Root = "t0"
    /// `t0/incoming/`: where the storage managers drop their documents (`run`, `streamer`, `endOfLumi`, `endOfRun`);
    /// a document that can't be registered goes to `t0/corrupt/` with its reason.
    public static let tier0Incoming = tier0Root + "/incoming"
    /// `t0/streamers/`: the default data directory of the storage-manager simulator's streamer files.
    public static let tier0Streamers = tier0Root + "/streamers"
    /// `t0/runs/`: the registered storage-manager documents, one folder per run (`t0/runs/<run>/`).
    public static let tier0Runs = tier0Root + "/runs"
    /// `t0/conditions/`: the conditions payloads recorded for upload (T0's `prompt_calib_file`), one folder per run
    /// (`t0/conditions/<run>/<file key>.json`, `Tier0ConditionStore`).
    public static let tier0Conditions = tier0Root + "/conditions"
    /// `t0/hold-promptreco`: while this file exists every PromptReco release is held (`wmctl t0 hold`/`resume`).
    public static let tier0PromptRecoHoldName = "hold-promptreco"
    /// The folders of one run's registered documents: `t0/runs/<run>/...`.
    public static func tier0Run(_ run: Int) -> Tier0RunFolders { Tier0RunFolders(root: tier0Runs + "/" + String(run)) }

    /// One run's registered documents (the directory is the state; the run's ledger is rebuilt from it).
    public struct Tier0RunFolders: Sendable, Equatable {
        /// `t0/runs/<run>`: holds `run.json` (the run document, once it came) and `state.json` (the feeder's summary).
        public let root: String
        /// The run document's file name in `root`.
        public static let runDocumentName = "run.json"
        /// The state document's file name in `root`.
        public static let stateName = "state.json"
        /// `streamers/`: one document per registered streamer not fed yet, named after its LFN.
        public var streamers: String { root + "/streamers" }
        /// `fed/`: the streamer documents the feeder fed into their stream's fileset (moved from `streamers/`).
        public var fed: String { root + "/fed" }
        /// `workflows/`: one marker per workflow the feeder made for the run (`<workflow>`), so none is made twice
        /// after WMBS forgot a finished one.
        public var workflows: String { root + "/workflows" }
        /// `lumis/`: one end-of-lumi document per (stream, lumi, instance).
        public var lumis: String { root + "/lumis" }
        /// `ends/`: one end-of-run document per instance.
        public var ends: String { root + "/ends" }
        /// `reco/`: the run's PromptReco release rows, one `<PD>.json` per primary dataset to reconstruct
        /// (`PromptRecoReleaseStore`).
        public var reco: String { root + "/reco" }
    }

    // MARK: Requests, config cache, work queue

    /// `reqmgr/`: requests, one folder per ReqMgr2 status.
    public static let requests = "reqmgr"
    /// `reqmgr/incoming/`: new requests, any file name.
    public static let requestsIncoming = requests + "/incoming"
    /// `reqmgr/originals/`: each request as submitted.
    public static let requestOriginals = requests + "/originals"
    /// `reqmgr/processing/`: an incoming request while it is being read (claimed by rename).
    public static let requestsProcessing = requests + "/processing"
    /// `configcache/`: task configurations by id.
    public static let configCache = "configcache"
    /// `workqueue/`: work-queue elements, one folder per element status.
    public static let elements = "workqueue"
    /// `workqueue/workloads/`: each request's workload (the element's spec).
    public static let workloads = elements + "/workloads"
    /// `workqueue/claims/`: elements half-claimed by an agent.
    public static let claims = elements + "/claims"
    /// `workqueue/claims/<agent>/`.
    public static func claims(of agent: String) -> String { claims + "/" + agent }
    /// `workqueue/agents/`: on a central spool, one registration per agent (`<agent>.json`: its name and spool), made by
    /// `wmagent init --central`.
    public static let agentRegistry = elements + "/agents"
    /// `workqueue/fences/<agent>/`: on a central spool, one marker per request (`<request>`) whose work the global
    /// queue took back from a silent agent: that agent never uploads or reports anything of the request again.
    public static func fences(of agent: String) -> String { elements + "/fences/" + agent }
    /// `workqueue/fences/`.
    public static let fencesRoot = elements + "/fences"
    /// `workqueue/completions/<agent>/`: on a central spool, the agent's completion reports (`<request>.json`): the
    /// elements whose work it finished and uploaded, and the blocks that hold it; the global queue marks them Done.
    public static func completions(of agent: String) -> String { elements + "/completions/" + agent }
    /// `workqueue/completions/`.
    public static let completionsRoot = elements + "/completions"
    /// `archive/acdc-withdrawn/<agent>/<workflow>/`: ACDC records of an agent whose work on the workflow the global
    /// queue took back (they would redo what another agent did).
    public static func withdrawnACDC(agent: String, workflow: String) -> String { archive + "/acdc-withdrawn/" + agent + "/" + workflow }
    /// `archive/completions/<agent>/`: completion reports the global queue has applied.
    public static func appliedCompletions(of agent: String) -> String { archive + "/completions/" + agent }

    // MARK: WMBS

    /// `wmbs/`: one folder per workflow.
    public static let wmbsRoot = "wmbs"
    /// The folders of one workflow in WMBS.
    public static func wmbs(_ workflow: String) -> WorkflowFolders { WorkflowFolders(root: wmbsRoot + "/" + workflow) }
    /// `wmbs/<workflow>/` folder names that are not subscriptions.
    public static let workflowFoldersThatAreNotSubscriptions: Set<String> = [WorkflowFolders.filesetsName, WorkflowFolders.lfnsName,
                                                                             WorkflowFolders.reportsName]

    /// A workflow's folders: `wmbs/<workflow>/...`.
    public struct WorkflowFolders: Sendable, Equatable {
        /// `wmbs/<workflow>`.
        public let root: String
        static let filesetsName = "filesets", lfnsName = "lfns", reportsName = "reports"
        /// `wmbs/<workflow>/filesets/`: filesets, open or closed.
        public var filesets: String { root + "/" + Self.filesetsName }
        /// `wmbs/<workflow>/lfns/`: the LFN registry.
        public var lfns: String { root + "/" + Self.lfnsName }
        /// `wmbs/<workflow>/reports/`: accounting records.
        public var reports: String { root + "/" + Self.reportsName }
        /// The marker file of a workflow whose work is all injected (`wmbs/<workflow>/injected`).
        public var injectedMarker: String { root + "/injected" }
        /// One subscription's folders.
        public func subscription(_ name: String) -> SubscriptionFolders { SubscriptionFolders(root: root + "/" + name) }
    }

    /// A subscription's folders: `wmbs/<workflow>/<subscription>/...`.
    public struct SubscriptionFolders: Sendable, Equatable {
        /// `wmbs/<workflow>/<subscription>`.
        public let root: String
        /// The subscription document's file name.
        public static let documentName = "subscription.json"
        /// The folder of the subscription's files in `state` (`available`, `acquired`, `completed`, `failed`).
        public func files(_ state: FileState) -> String { root + "/" + state.rawValue }
        /// `jobs/`: one marker per job not yet cleaned out.
        public var jobMarkers: String { root + "/jobs" }
        /// `jobgroups/`: job-creation intent records.
        public var jobGroups: String { root + "/jobgroups" }
        /// `jobgroups/pending/`: groups being published.
        public var pendingJobGroups: String { jobGroups + "/pending" }
        /// `jobgroups/done/`: groups published.
        public var doneJobGroups: String { jobGroups + "/done" }
        /// `splitlumis/`: a Tier-0 Repack or Express subscription's split-lumi records (`<run>-<lumi>.json`).
        public var splitLumis: String { root + "/splitlumis" }
    }

    // MARK: Jobs and their work

    /// `jobs/`: job documents, one folder per job state.
    public static let jobsRoot = "jobs"
    /// `jobs/<state>/`.
    public static func jobs(_ state: JobState) -> String { jobsRoot + "/" + state.rawValue }
    /// `jobs/corrupt/`.
    public static let jobsCorrupt = jobsRoot + "/" + Spool.corruptFolderName
    /// `work/`: job attempts' work directories (`work/<workflow>/<job>-<retry>/`; see `JobWorkDirectory`).
    public static let work = "work"
    /// `storage/`: the local sites' storage, files by LFN.
    public static let storageRoot = "storage"
    /// `storage/<PNN>`: a local site's storage (an LFN is appended as it is, starting with `/store`).
    public static func storage(_ pnn: String) -> String { storageRoot + "/" + pnn }
    /// `batch/local/<site>/`: the local batch system's records of a site.
    public static func localBatch(site: String) -> String { "batch/local/" + site }
    /// `batch/sim/<site>/`: the simulated batch system's records of a site.
    public static func simulatedBatch(site: String) -> String { "batch/sim/" + site }

    // MARK: ACDC, DBS buffer, transfers, catalog

    /// `acdc/`: ACDC records by workflow and task.
    public static let acdc = "acdc"
    /// The stand-in for the DQM GUIs harvesting jobs upload to: `<host>/<path>/<file>` per `DQMUploadUrl`.
    public static let dqmGUI = "dqmgui"
    /// Workflows whose jobs the agent stopped submitting for their failure rate: `<workflow>.json`, each a
    /// `SubmissionStop`.
    public static let submissionStops = "submission-stops"
    /// `dbsbuffer/files/`: merged outputs not yet in a block.
    public static let dbsBufferFiles = "dbsbuffer/files"
    /// `dbsbuffer/assigned/`: files in a block, not uploaded.
    public static let dbsBufferAssigned = "dbsbuffer/assigned"
    /// `dbsbuffer/uploaded/`: files in the catalog.
    public static let dbsBufferUploaded = "dbsbuffer/uploaded"
    /// `dbsbuffer/completed/`: workflows whose open blocks may close.
    public static let dbsBufferCompleted = "dbsbuffer/completed"
    /// `dbsbuffer/blocks/`: blocks, one folder per block state.
    public static let blocksRoot = "dbsbuffer/blocks"
    /// `dbsbuffer/blocks/<State>/`.
    public static func blocks(_ state: BlockState) -> String { blocksRoot + "/" + state.rawValue }
    /// `transfer/outbox/`: replica announcements for the transfer system.
    public static let transferOutbox = "transfer/outbox"
    /// `catalog/`: the local catalog (DBS stand-in).
    public static let catalog = "catalog"
    /// `catalog/origins/`: on a central spool, which agent uploaded which block for which request.
    public static let catalogOriginsRoot = catalog + "/origins"
    /// `catalog/origins/<agent>/<request>/`: one record per block (`<block key>`, holding the block's name) the agent
    /// uploaded (or was about to upload) for the request and has not yet reported complete; `reported/` under it holds
    /// the records of blocks a completion report covered.
    public static func catalogOrigins(agent: String, request: String) -> String { catalogOriginsRoot + "/" + agent + "/" + request }
    /// `catalog/origins/<agent>/<request>/reported/`.
    public static func reportedCatalogOrigins(agent: String, request: String) -> String { catalogOrigins(agent: agent, request: request) + "/reported" }

    // MARK: Operations page

    /// `www/`: the operations page (`wmctl report --html`), published by rename.
    public static let operationsPageFolder = "www"
    /// The operations page's file name in `www/`.
    public static let operationsPageFile = "index.html"

    // MARK: Archive

    /// `archive/`.
    public static let archive = "archive"
    /// `archive/summaries/`: workflow summaries.
    public static let summaries = archive + "/summaries"
    /// `archive/accounts/`: the accounts of closed requests.
    public static let accounts = archive + "/accounts"
    /// `archive/jobs/<Y>/<M>/<D>/`: job documents after cleanout.
    public static func archivedJobs(year: Int, month: Int, day: Int) -> String { archive + "/jobs/\(year)/\(month)/\(day)" }
    /// `archive/jobs/`: every archived job document, by day.
    public static let archivedJobsRoot = archive + "/jobs"
    /// `archive/logs/<w>/<workflow>/JobCluster_<n>/`: log tarballs of cleaned-out jobs (`workflowComponent` already encoded).
    public static func logArchive(workflowComponent: String, cluster: Int) -> String {
        archive + "/logs/\(workflowComponent.prefix(1))/\(workflowComponent)/JobCluster_\(cluster)"
    }
    /// `archive/elements/<request>/`: a finished request's elements.
    public static func archivedElements(_ request: String) -> String { archive + "/elements/" + request }

    /// The folders `wmagent init` makes (the areas make their state folders themselves).
    public static let madeByInit = [configuration, requestsIncoming, requestOriginals, configCache, workloads,
                                    wmbsRoot, acdc, work, storageRoot, catalog, archive, tier0Incoming]
}
