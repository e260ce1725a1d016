import Commands
import Foundation
import SpoolKit
import SpoolLayout
import Stages
import WMCore

/// `wmagent init DIR`: a self-contained spool for one machine — its folders, its configuration (the
/// local plugin and the default sites) and the example task configurations in its config cache.
public enum AgentSpool {
    /// Makes (or completes) a spool at `path`; never overwrites anything. Returns what it created.
    @discardableResult
    public static func initialize(at path: String) throws -> [String] {
        let spool = try Spool(root: path)
        let role = try SpoolRoles.load(spool)
        guard role == .allInOne else {
            throw CommandFailure(.cantCreate, "wmagent init: \(spool.root) is \(role.description); complete it with "
                                 + "'wmagent init --central CENTRAL AGENTDIR --agent NAME'")
        }
        var created = try makeMissing(folders: Layout.madeByInit, in: spool)
        try RequestManager.area(spool).ensureFolders()
        try ElementStore(spool: spool).ensureFolders()
        try Areas.jobs(spool).ensureFolders()
        let files: [(String, String)] = [(Layout.agentConfigurationFile, EmbeddedDefaults.agentJSON),
                                         (Layout.siteConfigurationFile, SiteConfiguration.defaultJSON + "\n"),
                                         (Layout.tier0ConfigurationFile, EmbeddedDefaults.tier0JSON)]
        created += try publishMissing(configurations: files, in: spool)
        created += try addExampleConfigurations(to: spool).map { Layout.configCache + "/" + $0 }
        return created
    }

    /// Makes the folders of `folders` that `spool` lacks; returns them (`<folder>/`, spool-relative).
    static func makeMissing(folders: [String], in spool: Spool) throws -> [String] {
        var made: [String] = []
        for folder in folders where !spool.isFolder(folder) {
            try spool.ensureDirectories([folder])
            made.append(folder + "/")
        }
        return made
    }

    /// Publishes in `etc/` each (file name, text) of `configurations` that `spool` lacks (never overwriting one);
    /// returns them (`etc/<name>`, spool-relative).
    static func publishMissing(configurations: [(String, String)], in spool: Spool) throws -> [String] {
        var published: [String] = []
        for (name, text) in configurations where !spool.contains(name, in: Layout.configuration) {
            try spool.publish(Array(text.utf8), as: name, in: Layout.configuration)
            published.append(Layout.configuration + "/" + name)
        }
        return published
    }

    /// Stores the example task configurations in `spool`'s config cache; returns those that were not there
    /// (`<id>.json (<file>)`).
    static func addExampleConfigurations(to spool: Spool) throws -> [String] {
        let cache = ConfigCacheStore(spool: spool)
        var added: [String] = []
        for name in EmbeddedDefaults.exampleConfigurations.keys.sorted() {
            let data = Data(EmbeddedDefaults.exampleConfigurations[name]!.utf8)
            var md5 = MD5()
            md5.update(data)
            let known = cache.configuration(id: md5.hexDigest()) != nil
            let id = try cache.add(data, source: name)
            if !known { added.append("\(id).json (\(name))") }
        }
        return added
    }

    /// True when `path` is an all-in-one spool with content (`wmagent init DIR` made it): it can become neither a
    /// central spool nor an agent's.
    static func isAllInOneSpool(_ path: String) throws -> Bool {
        guard ProgramInputs.isSpool(path) else { return false }
        let spool = try Spool(root: path)
        return try SpoolRoles.load(spool) == .allInOne && (spool.isFolder(Layout.configuration) || spool.isFolder(Layout.jobsRoot))
    }

    /// The folders of a central spool (`wmagent init --central`): requests, config cache, the global queue, the
    /// catalog, ACDC and the archive of accounts and elements.
    static let centralFolders = [Layout.configuration, Layout.requestsIncoming, Layout.requestOriginals, Layout.configCache,
                                 Layout.workloads, Layout.catalog, Layout.acdc, Layout.archive]
    /// The folders of an agent's spool: everything of one agent, nothing central.
    static let agentFolders = [Layout.configuration, Layout.wmbsRoot, Layout.work, Layout.storageRoot, Layout.archive]

    /// `wmagent init --central DIR AGENTDIR --agent NAME`: makes (or completes) the central spool at `centralPath`
    /// and the spool of agent `agent` at `agentPath`, which names its central spool (`etc/spool.json`) and is
    /// registered in the central one (`workqueue/agents/<agent>.json`, so no second spool takes the name). Never
    /// overwrites anything; run it once per agent. Returns what it created.
    ///
    /// - Throws: `CommandFailure(.usage, …)` for a bad agent name or one already registered to another spool,
    ///   `.cantCreate` when either folder is already a spool of another kind.
    @discardableResult
    public static func initialize(central centralPath: String, agentSpool agentPath: String, agent: String) throws -> [String] {
        guard SpoolRoles.isValidAgentName(agent) else {
            throw CommandFailure(.usage, "wmagent init: --agent '\(agent)': expected \(SpoolRoles.agentNamePattern)")
        }
        for path in [centralPath, agentPath] where try isAllInOneSpool(Spool.absoluteRoot(path)) {
            throw CommandFailure(.cantCreate, "wmagent init: \(Spool.absoluteRoot(path)) is an all-in-one spool (made by 'wmagent init DIR'); "
                                 + "a central spool and an agent's spool are made in new folders")
        }
        let central = try Spool(root: centralPath)
        let ownRoot = Spool.absoluteRoot(agentPath)
        guard central.root != ownRoot else { throw CommandFailure(.usage, "wmagent init: the central spool and the agent's spool must differ") }
        var created: [String] = []
        // Central first: its role is written before any agent names it. It is shared by the agents' hosts (SpoolKit
        // then trusts no pid or boot clock of another host there, and recycles no inode).
        if !central.isShared {
            try central.markShared()
            created.append(central.root + "/.shared")
        }
        if try SpoolRoles.write(.central, to: central) { created.append(central.root + "/" + Layout.configuration + "/" + SpoolRoles.fileName + " (central)") }
        created += try makeMissing(folders: centralFolders, in: central).map { central.root + "/" + $0 }
        try RequestManager.area(central).ensureFolders()
        try ElementStore(spool: central).ensureFolders()
        try central.ensureDirectories([Layout.agentRegistry])
        let configurations: [(String, String)] = [(Layout.agentConfigurationFile, EmbeddedDefaults.agentJSON),
                                                  (Layout.siteConfigurationFile, SiteConfiguration.defaultJSON + "\n")]
        created += try publishMissing(configurations: configurations, in: central).map { central.root + "/" + $0 }
        created += try addExampleConfigurations(to: central).map { central.root + "/" + Layout.configCache + "/" + $0 }
        // The agent's registration: one spool per name.
        let registration = Array("{\"agent\": \"\(agent)\", \"spool\": \"\(ownRoot)\"}\n".utf8)
        if let existing = try central.read(agent + ".json", in: Layout.agentRegistry) {
            guard existing == registration else {
                throw CommandFailure(.usage, "wmagent init: agent '\(agent)' is already registered in \(central.root)/\(Layout.agentRegistry)/\(agent).json "
                                     + "with another spool (\(String(decoding: existing, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))); pick another name")
            }
        } else {
            try central.publish(registration, as: agent + ".json", in: Layout.agentRegistry)
            created.append(central.root + "/" + Layout.agentRegistry + "/" + agent + ".json")
        }
        let own = try Spool(root: ownRoot)
        if try SpoolRoles.write(.agent(name: agent, centralRoot: central.root), to: own) {
            created.append(own.root + "/" + Layout.configuration + "/" + SpoolRoles.fileName + " (agent '\(agent)')")
        }
        created += try makeMissing(folders: agentFolders, in: own).map { own.root + "/" + $0 }
        try Areas.jobs(own).ensureFolders()
        // The sites' storage is shared by every agent: by default the central spool's storage/ folder.
        let agentConfigurations = [(Layout.agentConfigurationFile, EmbeddedDefaults.agentJSON),
                                   (Layout.siteConfigurationFile, try sitesSharingStorage(of: central))]
        created += try publishMissing(configurations: agentConfigurations, in: own).map { own.root + "/" + $0 }
        try central.ensureDirectories([Layout.storageRoot])
        return created
    }

    /// The default sites with every storage element at `<central>/storage/<PNN>` (`pfnPrefix`): what one agent writes,
    /// the others and the central spool's `wmctl catalog events` read.
    static func sitesSharingStorage(of central: Spool) throws -> String {
        guard var object = try JSONSerialization.jsonObject(with: Data(SiteConfiguration.defaultJSON.utf8)) as? [String: Any],
              let sites = object["sites"] as? [[String: Any]] else {
            throw CommandFailure(.software, "wmagent init: the embedded sites.json has no 'sites' list")
        }
        object["sites"] = sites.map { site in
            var shared = site
            shared["pfnPrefix"] = central.path(Layout.storageRoot) + "/{pnn}"
            return shared
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// The stages in pipeline order, as `wmagent run` drives them (the same stage code the CLIs run).
public enum Pipeline {
    /// Every stage of one agent, upstream first; with `tier0` (the spool has `etc/t0.json`: `hasTier0`) the
    /// Tier-0 feeder runs first, so what it registers is there for the stages after it.
    ///
    /// On a central spool only the central stages run, on an agent's spool only the agent's (`StagePlacement`).
    public static func stages(agent: String, tier0: Bool = false, role: SpoolRole = .allInOne) -> [StageCycle] {
        let all: [StageCycle] = (tier0 ? [T0FeederStage()] : []) + [ReqMgrStage(makeManager: { spool, config in Wiring.requestManager(spool, config: config) }),
         GlobalWorkQueueStage(),
         LocalWorkQueueStage(agent: agent),
         JobCreatorStage(),
         JobSubmitterStage(),
         JobTrackerStage(),
         AccountantStage(),
         ErrorHandlerStage(),
         RetryManagerStage(),
         JobArchiverStage(),
         DBSUploadStage(),
         RucioInjectorStage(),
         TaskArchiverStage(),
         GlobalWorkQueueStage()]
        return all.filter { $0.placement.runs(on: role) }
    }

    /// True when the spool runs the Tier-0: `etc/t0.json` exists (a spool made before the Tier-0 keeps its WMAgent
    /// stages alone; a malformed `t0.json` is then the feeder's error, never a silent skip).
    public static func hasTier0(_ spool: Spool) -> Bool {
        spool.contains(Layout.tier0ConfigurationFile, in: Layout.configuration)
    }
}
