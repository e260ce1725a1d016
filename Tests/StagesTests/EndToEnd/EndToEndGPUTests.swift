import Foundation
import Testing
import TestSupport
@testable import BatchSystems
@testable import Operator
@testable import SpoolKit
@testable import SpoolLayout
@testable import WMCore

/// Issue 19 item 3: a job that requires a GPU goes only to a site that declares one (`"gpus"` in `etc/sites.json`),
/// waits with its reason in `wmctl status` while none of its sites has one, and asks Slurm for `--gres=gpu:1`;
/// WMCore's TC_GPU and SC_GPU templates run to `completed` on the local plugin.
@Suite struct EndToEndGPUTests {
    /// Sets `"gpus"` on the named sites of the agent's `etc/sites.json`, with GPUs of `memoryMB` MB, CUDA capabilities
    /// 7.5 and 8.9, runtime 12.4 and `model` (what the GPUParams of `gpuParams` and WMCore's GPU templates ask for).
    static func declareGPUs(_ gpus: [String: Int], model: String? = nil, memoryMB: Int = 16_000, agent: EndToEndAgent) throws {
        let file = agent.spool.path("etc/sites.json")
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as! [String: Any]
        object["sites"] = (object["sites"] as! [[String: Any]]).map { site in
            var site = site
            if let n = gpus[site["name"] as! String] {
                site["gpus"] = n
                site["gpuName"] = model
                site["gpuMemoryMB"] = memoryMB
                site["cudaCapabilities"] = ["7.5", "8.9"]
                site["cudaRuntime"] = "12.4"
            }
            return site
        }
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: URL(fileURLWithPath: file))
    }

    static let gpuParams = #"{"CUDACapabilities": ["7.5", "8.0"], "CUDARuntime": "12.0", "GPUMemoryMB": 8000}"#

    @Test func sbatchAsksForAGPUOnlyWhenTheJobNeedsOne() {
        let plugin = SlurmBatchPlugin(spoolRoot: "/spool")
        var submission = BatchSubmission(key: "job-1-0", jobName: "job-1", workDirectory: "/spool/w", arguments: ["/bin/true"], gpus: 1)
        #expect(plugin.sbatchArguments(submission, script: "/spool/w/s.sh").contains("--gres=gpu:1"))
        submission.gpus = 0
        #expect(!plugin.sbatchArguments(submission, script: "/spool/w/s.sh").contains { $0.hasPrefix("--gres") })
    }

    @Test func siteGPUCountIsRangeChecked() {
        var text = SiteConfiguration.defaultJSON.replacingOccurrences(of: #""storageElement": "T2_CH_CERN""#,
                                                                      with: #""storageElement": "T2_CH_CERN", "gpus": -1"#)
        #expect(throws: SiteConfigurationError.self) { try SiteConfiguration.decode(Array(text.utf8), file: "sites.json") }
        text = text.replacingOccurrences(of: #""gpus": -1"#, with: #""gpus": 2"#)
        let configuration = try? SiteConfiguration.decode(Array(text.utf8), file: "sites.json")
        #expect(configuration?.site(named: "T2_CH_CERN")?.gpus == 2)
        #expect(configuration?.site(named: "T1_US_FNAL")?.hasGPU == false, "absent means 0")
    }

    /// A key `sites.json` does not know (here a misspelt GPU property) is refused, naming it, not silently ignored.
    @Test func anUnknownSiteKeyIsRefusedNamingIt() throws {
        let text = SiteConfiguration.defaultJSON.replacingOccurrences(of: #""storageElement": "T2_CH_CERN""#,
                                                                      with: #""storageElement": "T2_CH_CERN", "gpumemoryMB": 16000"#)
        let error = #expect(throws: SiteConfigurationError.self) { try SiteConfiguration.decode(Array(text.utf8), file: "sites.json") }
        #expect(String(describing: error).contains("gpumemoryMB"), "\(String(describing: error))")
        #expect(throws: Never.self) { try SiteConfiguration.decode(Array(SiteConfiguration.defaultJSON.utf8), file: "sites.json") }
    }

    @Test func gpuJobsNeverLandOnAGPULessSite() throws {
        let agent = try EndToEndAgent("gpu-sites")
        defer { agent.killLeftovers() }
        try Self.declareGPUs(["T1_US_FNAL": 1], agent: agent)
        var request = try EndToEndRequests.monteCarlo(events: 600, perJob: 100, perLumi: 100, tasks: 1,
                                                      assignment: ["SiteWhitelist": ["T2_CH_CERN", "T1_US_FNAL"]])
        var create = request["createRequest"] as! [String: Any]
        var task1 = create["Task1"] as! [String: Any]
        task1["RequiresGPU"] = "required"
        task1["GPUParams"] = Self.gpuParams
        create["Task1"] = task1
        request["createRequest"] = create
        let name = try agent.submit(request)
        try agent.runUntilQuiet()
        #expect(agent.status(of: name) == "completed")
        let jobs = try agent.archivedJobs(of: name)
        let production = jobs.filter { $0.taskType == "Production" }
        #expect(production.count == 6)
        #expect(production.allSatisfy { $0.requiresGPU == .required && $0.gpuRequirements?["GPUMemoryMB"] == .int(8000) })
        #expect(production.allSatisfy { $0.site == "T1_US_FNAL" }, "\(production.map(\.site))")
        #expect(jobs.filter { $0.taskType != "Production" }.allSatisfy { $0.requiresGPU == nil }, "merge and log-collect need none")
        let events = try agent.events(in: try #require(agent.datasets().first { $0.hasSuffix("/GEN-SIM") }))
        #expect(events.map(\.event).sorted() == Array(1...600), "every event once")
    }

    /// A one-job MonteCarlo request whitelisting T2_CH_CERN whose job requires a GPU with `gpuParams`.
    static func oneGPUJobAtCERN() throws -> [String: Any] {
        var request = try EndToEndRequests.monteCarlo(events: 100, perJob: 100, perLumi: 100, tasks: 1,
                                                      assignment: ["SiteWhitelist": ["T2_CH_CERN"]])
        var create = request["createRequest"] as! [String: Any]
        create["RequiresGPU"] = "required"
        create["GPUParams"] = gpuParams
        request["createRequest"] = create
        return request
    }

    /// A GPU site whose GPUs have less memory than the job's GPUParams ask for is no candidate: the job waits and says why.
    @Test func gpuJobWaitsWhileNoSitesGPUsMeetItsGPUParams() throws {
        let agent = try EndToEndAgent("gpu-params")
        defer { agent.killLeftovers() }
        try Self.declareGPUs(["T2_CH_CERN": 2], memoryMB: 4000, agent: agent)
        _ = try agent.submit(try Self.oneGPUJobAtCERN())
        for _ in 0..<4 { for stage in agent.stages() { _ = try stage.runCycle(agent.context) } }
        let created = try Areas.jobs(agent.spool).scan(.created)
        #expect(created.count == 1, "the job waits in created/")
        let status = try agent.wmctlOK(["status"])
        #expect(status.contains("requires a GPU with its GPUParams and no site's GPUs meet them: T2_CH_CERN lacks GPUMemoryMB 8000 "
                                + "(the site's GPUs have 4000 MB)"), "\(status)")
        #expect(try Areas.jobs(agent.spool).scan(.executing).isEmpty, "nothing was submitted")
    }

    @Test func gpuJobWithNoGPUSiteWaitsAndSaysWhy() throws {
        let agent = try EndToEndAgent("gpu-wait")
        defer { agent.killLeftovers() }
        let name = try agent.submit(try Self.oneGPUJobAtCERN())
        // Every stage a few times (runUntilQuiet would stop on the job that cannot progress).
        for _ in 0..<4 { for stage in agent.stages() { _ = try stage.runCycle(agent.context) } }
        #expect(agent.status(of: name) != "completed")
        let created = try Areas.jobs(agent.spool).scan(.created)
        #expect(created.count == 1, "the job waits in created/")
        let status = try agent.wmctlOK(["status"])
        #expect(status.contains("ALERT job \(created[0]) waits: requires a GPU and none of its sites declares one (T2_CH_CERN"), "\(status)")
        let show = try agent.wmctlOK(["show", created[0]])
        #expect(show.contains("waits: requires a GPU"), "\(show)")
        #expect(try Areas.jobs(agent.spool).scan(.executing).isEmpty, "nothing was submitted")
    }

    @Test(arguments: ["TC_GPU", "SC_GPU"])
    func wmcoreGPUTemplateRunsToCompletedOnAGPUSite(template name: String) throws {
        let agent = try EndToEndAgent("gpu-" + name)
        defer { agent.killLeftovers() }
        // SC_GPU's JobExtraMatchRequirements asks for regexp("^NVIDIA L40S$", GPUs_DeviceName): the GPU site says its model.
        try Self.declareGPUs(["T1_US_FNAL": 1], model: "NVIDIA L40S", agent: agent)
        let configs: [(String, String)] = [
            ("c317221f698cedad81275c2eca5c0b40", #"{"outputModules": {"FEVTDEBUGoutput": {"dataTier": "GEN-SIM", "filterName": ""}}}"#),
            ("c317221f698cedad81275c2eca5c35ca", #"{"outputModules": {"FEVTDEBUGHLToutput": {"dataTier": "GEN-SIM-DIGI-RAW", "filterName": ""}}}"#),
            ("c317221f698cedad81275c2eca5c61b3", #"{"outputModules": {"RECOSIMoutput": {"dataTier": "GEN-SIM-RECO", "filterName": ""}, "DQMoutput": {"dataTier": "DQMIO", "filterName": ""}}}"#),
            ("c317221f698cedad81275c2eca5cbe88", #"{"outputModules": {}}"#),
        ]
        for (id, text) in configs { try agent.addConfig(text, id: id) }
        let template = TestSupport.packageRoot + "/Tests/WMCoreTests/Fixtures/\(name).json"
        let prefix = name == "TC_GPU" ? "Task1" : "Step1"
        let request = try agent.wmctlOK(["request", "submit", template, "--assign", "--set", "Team=production",
                                         "--set", "SiteWhitelist=T1_US_FNAL,T2_CH_CERN", "--set", "AcquisitionEra=Run3Test",
                                         "--set", "ProcessingString=TEST", "--set", "Campaign=Test", "--set", "RequestString=gpu",
                                         "--set", "Dashboard=production", "--set", "\(prefix).RequestNumEvents=200"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try agent.runUntilQuiet()
        #expect(agent.status(of: request) == "completed")
        let jobs = try agent.archivedJobs(of: request)
        let gpuJobs = jobs.filter { $0.requiresGPU == .required }
        #expect(!gpuJobs.isEmpty && gpuJobs.allSatisfy { $0.site == "T1_US_FNAL" }, "\(gpuJobs.map(\.site))")
        #expect(gpuJobs.allSatisfy { $0.numberOfCores == 8 })
        let datasets = try agent.datasets()
        #expect(datasets.count >= 3, "\(datasets)")
        for dataset in datasets {
            #expect(dataset.hasPrefix("/RelValTTbar_14TeV/"), "\(dataset)")
            let events = try agent.events(in: dataset)
            #expect(events.map(\.event).sorted() == Array(1...200), "\(dataset): every event once")
        }
        agent.expectClean()
    }
}
