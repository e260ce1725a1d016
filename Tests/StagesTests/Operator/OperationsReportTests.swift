import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import Operator
@testable import SpoolLayout
@testable import Stages
@testable import WMCore

/// Productions the operations-page tests report on, each on its own agent and spool.
enum OperationsPageFixtures {
    /// The output datasets of the chain the fixtures run.
    static let datasets = EndToEndAgent.mcDatasets(EndToEndMonteCarloTests.tiers)

    /// A GEN-SIM → DIGI → RECO production of 400 events (2 production jobs) run to completed.
    static func finishedProduction(_ label: String) throws -> (agent: EndToEndAgent, request: String) {
        let agent = try EndToEndAgent(label)
        let name = try agent.submit(try EndToEndRequests.monteCarlo(events: 400, perJob: 200, perLumi: 100))
        try agent.runUntilQuiet()
        try #require(agent.status(of: name) == "completed")
        return (agent, name)
    }

    /// The same production with its second production job failing for good with exit code 8001 (not retried).
    static func productionWithFailures(_ label: String) throws -> (agent: EndToEndAgent, request: String) {
        let agent = try EndToEndAgent(label)
        let name = try agent.submit(try EndToEndRequests.monteCarlo(events: 400, perJob: 200, perLumi: 100))
        _ = try GlobalWorkQueueStage().runCycle(agent.context)
        let element = try #require(try ElementStore(spool: agent.spool).elements(ofRequest: name).first)
        let doomed = "\(WMBSStore.workflowKey(name))-GenSim-\(element.name.prefix(8))-000002"
        try agent.setConfiguration(baggage: ["faults": ["seed": 1, "rules": [["probability": 1.0, "fault": ["kind": "exit", "code": 8001],
                                                                                "jobNameContains": doomed]]]])
        try agent.runUntilQuiet()
        try #require(agent.status(of: name) == "completed")
        return (agent, name)
    }

    /// The page of `request` in the agent's `www/requests/` (after `wmctl report --html`).
    static func requestPage(_ agent: EndToEndAgent, _ request: String) throws -> String {
        try String(contentsOfFile: agent.spool.path(Layout.operationsPageFolder + "/" + OperationsPage.requestFile(request)), encoding: .utf8)
    }

    /// `wmctl report --json`, decoded.
    static func report(_ agent: EndToEndAgent) throws -> OperationsReport {
        let out = try agent.wmctlOK(["report", "--json"])
        return try JSONDecoder().decode(OperationsReport.self, from: Data(out.utf8))
    }
}

/// Issue 22, first slice: `wmctl report --json|--html`, read from what the spool records.
@Suite struct OperationsReportTests {
    @Test func aFinishedProductionIsReportedDoneWithItsDatasets() throws {
        let (agent, name) = try OperationsPageFixtures.finishedProduction("report-done")
        defer { agent.killLeftovers() }
        let report = try OperationsPageFixtures.report(agent)
        let request = try #require(report.requests.first { $0.name == name })
        #expect(request.status == "completed" && request.accountVerdict == "complete")
        let p = request.progress
        #expect(p.source == "account" && p.eventsExpected == 400 && p.eventsDone == 400 && p.lumisExpected == 4 && p.lumisDone == 4, "\(p)")
        #expect(p.jobsTotal > 2 && p.jobsDone == p.jobsTotal, "\(p)")
        #expect(request.jobsByState.isEmpty && request.jobsArchived["success"] == p.jobsTotal, "\(request.jobsByState) \(request.jobsArchived)")
        #expect(request.failures.isEmpty)
        #expect(Set(request.datasets.map(\.dataset)) == OperationsPageFixtures.datasets)
        #expect(report.stages.map(\.stage).contains("wm-jobarchiver") && !report.stages.contains { $0.stuck })
        #expect(!report.sites.isEmpty)

        // --dry-run writes nothing; --html publishes www/index.html.
        let page = agent.spool.path(Layout.operationsPageFolder + "/" + Layout.operationsPageFile)
        #expect(try agent.wmctlOK(["report", "--html", "--dry-run"]).contains("dry run: nothing written"))
        #expect(!SystemCall.exists(page))
        #expect(try agent.wmctlOK(["report", "--html"]).contains(page))
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.contains(name) && html.contains("(100%)"))
        let requestPage = try OperationsPageFixtures.requestPage(agent, name)
        for dataset in OperationsPageFixtures.datasets { #expect(requestPage.contains(dataset)) }
        for text in [html, requestPage] {
            #expect(!text.contains("<script") && !text.contains("http://") && !text.contains("https://"), "self-contained, no scripts")
        }

        // --out DIR writes the same pages there (DIR made, its parent must exist); no leftover temporary file.
        let out = TestSupport.temporaryDirectory("report-out") + "/site"
        _ = try agent.wmctlOK(["report", "--html", "--out", out])
        #expect(try String(contentsOfFile: out + "/index.html", encoding: .utf8).contains(name))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["index.html", "requests"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: out + "/requests") == [String(OperationsPage.requestFile(name).dropFirst(9))])
        #expect(agent.wmctl(["report", "--html", "--out", out + "/no/such"]).code == 73, "a missing parent is not made")
    }

    @Test func failuresAreCountedByExitCodeAndSite() throws {
        let (agent, name) = try OperationsPageFixtures.productionWithFailures("report-failures")
        defer { agent.killLeftovers() }
        let request = try #require(try OperationsPageFixtures.report(agent).requests.first { $0.name == name })
        let failure = try #require(request.failures.first { $0.exitCode == 8001 }, "\(request.failures)")
        #expect(failure.count == 1 && failure.site != OperationsReport.unknownSite && !failure.firstMessage.isEmpty, "\(failure)")
        #expect(request.jobsArchived["jobfailed"] == 1, "\(request.jobsArchived)")
        #expect(request.accountVerdict == "incomplete")
        #expect(try #require(request.progress.eventsDone) < 400)
        _ = try agent.wmctlOK(["report", "--html"])
        let html = try OperationsPageFixtures.requestPage(agent, name)
        #expect(html.contains("<td class=\"n\">8001</td><td>\(OperationsPage.escape(failure.site))</td>"), "the failure table row")
    }

    @Test func theCommandLineIsChecked() throws {
        let agent = try EndToEndAgent("report-usage")
        for args in [["report"], ["report", "--json", "--html"], ["report", "--json", "--out", "x.html"], ["report", "--html", "--bogus"],
                     ["report", "--json", "--stuck-after", "-1"]] {
            #expect(agent.wmctl(args).code == 64, "\(args)")
        }
        #expect(!SystemCall.exists(agent.spool.path(Layout.operationsPageFolder)))
        let missing = Wmctl.Output()
        #expect(Wmctl.run(["--spool", agent.spool.root + "/nope", "report", "--json"], environment: [:], stdin: { "" }, output: missing) == 66)
        // An empty spool is reported as empty, not refused.
        let report = try OperationsPageFixtures.report(agent)
        #expect(report.requests.isEmpty && report.schema == 1)
    }

    @Test func aRequestInFlightIsReportedFromItsJobsAndElements() throws {
        let agent = try EndToEndAgent("report-live")
        let name = try agent.submit(try EndToEndRequests.monteCarlo(events: 400, perJob: 200, perLumi: 100))
        // The request up to its first jobs: nothing runs yet.
        for stage in agent.stages().prefix(while: { !($0 is JobSubmitterStage) }) { _ = try stage.runCycle(agent.context) }
        let request = try #require(try OperationsPageFixtures.report(agent).requests.first { $0.name == name })
        let p = request.progress
        #expect(p.source == "elements" && p.eventsExpected == 400 && p.eventsDone == 0 && p.lumisExpected == 4 && p.lumisDone == nil, "\(p)")
        #expect(request.jobsByState == ["created": 2] && request.jobsArchived.isEmpty, "\(request.jobsByState)")
        #expect(p.jobsTotal == 2 && p.jobsDone == 0 && request.accountVerdict == nil && request.datasets.isEmpty)
    }

    @Test func aStuckStageAndADamagedSummaryAreShownNotFatal() throws {
        let (agent, name) = try OperationsPageFixtures.finishedProduction("report-damaged")
        defer { agent.killLeftovers() }
        StageHealth(stage: "wm-jobtracker", pid: 1, lastCycle: WallClock.now(), lastProgress: WallClock.now() - 3600, itemsDone: 0, backlog: 7)
            .record(in: agent.spool)
        let summary = agent.spool.path(TaskArchiverStage.summaries + "/" + name + ".json")
        try Data("{\"workflow\": 1".utf8).write(to: URL(fileURLWithPath: summary))
        let before = try String(contentsOfFile: summary, encoding: .utf8)
        let report = try OperationsPageFixtures.report(agent)
        let request = try #require(report.requests.first { $0.name == name })
        #expect(request.problems.count == 1 && request.problems[0].contains(name + ".json"), "\(request.problems)")
        #expect(request.progress.eventsDone == 400, "the account still gives the progress")
        #expect(report.stages.first { $0.stage == "wm-jobtracker" }?.stuck == true)
        #expect(report.stages.filter(\.stuck).count == 1)
        _ = try agent.wmctlOK(["report", "--html"])
        let html = try String(contentsOfFile: agent.spool.path("www/index.html"), encoding: .utf8)
        #expect(html.contains("<td>wm-jobtracker</td>") && html.contains(">STUCK</span>"))
        #expect(try OperationsPageFixtures.requestPage(agent, name).contains("UNREADABLE: "))
        #expect(try String(contentsOfFile: summary, encoding: .utf8) == before, "reporting quarantines nothing")
    }

    @Test func hostileStringsAreEscaped() {
        let hostile = "<script>alert(1)</script>\"'&"
        let failure = OperationsReport.Failure(exitCode: 8001, site: "T2_<b>", count: 1, firstMessage: "\"><img src=x onerror=alert(1)>")
        let request = OperationsReport.RequestReport(
            name: hostile, status: "running-closed", type: "TaskChain", priority: 1,
            progress: .init(eventsDone: 5, eventsExpected: 10, jobsDone: 1, jobsTotal: 2, source: "elements"),
            jobsByState: ["executing": 1], jobsArchived: [:], failures: [failure], datasets: [.init(dataset: "/A/<i>/RAW", events: 5)], accountVerdict: nil)
        var withSections = request
        withSections.tasks = [.init(task: "/w/<u>T\"", jobsByState: ["<s>": 1], jobsByOutcome: [:], failedAttempts: 0, retries: [:])]
        withSections.timeline = [Transition(from: "<em>", to: "new", time: 0, actor: "<q>", reason: "<img src=y>")]
        withSections.activity = [.init(time: 0, jobsDone: 0, jobsByState: ["<tt>": 1]), .init(time: 300, jobsDone: 1, jobsByState: [:])]
        let site = OperationsPage.site(OperationsReport(generatedAt: 0, requests: [withSections], stages: [], sites: [],
                                                        tier0Runs: [.init(run: 1, hltKey: "<kbd>", ended: false, instancesEnded: 0, streams: [])],
                                                        problems: ["<mark>"]))
        #expect(site.map(\.path) == ["index.html", OperationsPage.requestFile(hostile)])
        let html = site.map(\.html).joined()
        #expect(!html.contains("<script") && !html.contains("<img") && !html.contains("<b>") && !html.contains("<i>"))
        for tag in ["<u>", "<s>", "<em>", "<q>", "<kbd>", "<mark>", "<tt>"] { #expect(!html.contains(tag), "\(tag) escaped") }
        #expect(html.contains("title=\"/w/&lt;u&gt;T&quot;\"") && html.contains("&lt;img src=y&gt;"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"))
        #expect(html.contains("5 / 10 (50%)"))
    }

    @Test func theSummaryCountsFailuresPerSite() throws {
        func record(_ job: String, site: String?, code: Int) -> AccountingRecord {
            AccountingRecord(job: job, retry: 0, workflow: "w", task: "/w/T", taskType: "Production", outcome: "jobfailed", exitCode: code,
                             step: "cmsRun1", errors: [.init(type: "CMSException", exitCode: code, details: "d \(job)")], site: site,
                             jobTime: nil, peakRSS: nil, events: 0, inputs: [], runs: [], outputs: [], logArchive: nil)
        }
        let records = [record("a", site: "T1_X", code: 50664), record("b", site: "T1_X", code: 50664), record("c", site: nil, code: 50664),
                       record("d", site: "T2_Y", code: 8001)]
        let summary = WorkflowSummary(workflow: "w", records: records, now: 0)
        #expect(summary.errors["/w/T"]?["cmsRun1"]?["50664"]?.sites == ["T1_X": 2, "unknown": 1])
        let builder = OperationsReportBuilder(spool: try Spool(root: TestSupport.temporaryDirectory("report-unit"), durability: .none))
        // From the summary (a closed workflow): one example message per exit code.
        let rows = builder.failures(summary)
        #expect(rows.map { "\($0.exitCode)@\($0.site)×\($0.count)" } == ["50664@T1_X×2", "8001@T2_Y×1", "50664@unknown×1"])
        #expect(rows.map(\.firstMessage) == ["CMSException: d a", "CMSException: d d", "CMSException: d a"])
        // From the accounting records (a workflow in WMBS): the first message of each exit code × site.
        let live = builder.failures(records)
        #expect(live.map { "\($0.exitCode)@\($0.site)×\($0.count)" } == ["50664@T1_X×2", "8001@T2_Y×1", "50664@unknown×1"])
        #expect(live.map(\.firstMessage) == ["CMSException: d a", "CMSException: d d", "CMSException: d c"])
    }
}

/// Issue 22, second slice: the request section's tasks, ACDC, account of outputs and timeline, and the Tier-0 runs.
@Suite struct OperationsReportSectionTests {
    @Test func aFinishedProductionShowsItsTasksAccountAndTimeline() throws {
        let (agent, name) = try OperationsPageFixtures.finishedProduction("report-sections")
        defer { agent.killLeftovers() }
        let request = try #require(try OperationsPageFixtures.report(agent).requests.first { $0.name == name })
        // Every task's jobs succeeded at the first try; the production task is there.
        #expect(request.tasks.contains { $0.task.hasSuffix("/GenSim") }, "\(request.tasks.map(\.task))")
        for task in request.tasks {
            #expect(task.failedAttempts == 0 && task.retries.keys.allSatisfy { $0 == "0" } && task.jobsByOutcome["success"] == task.retries["0"], "\(task)")
        }
        #expect(request.tasks.compactMap { $0.jobsByOutcome["success"] }.reduce(0, +) == request.progress.jobsTotal)
        // The account of outputs: nothing missing, duplicated or in ACDC.
        for dataset in request.datasets {
            #expect(dataset.missingLumis == 0 && dataset.duplicatedLumis == 0 && dataset.acdcLumis == 0 && dataset.missingEvents == 0, "\(dataset)")
        }
        #expect(request.acdc == nil)
        // The timeline: created first, completed last, each step from the state before it.
        let timeline = request.timeline
        #expect(timeline.first?.from == "none" && timeline.first?.to == "new" && timeline.last?.to == "completed", "\(timeline)")
        #expect(zip(timeline, timeline.dropFirst()).allSatisfy { $0.to == $1.from && $0.time <= $1.time })
        _ = try agent.wmctlOK(["report", "--html"])
        let html = try OperationsPageFixtures.requestPage(agent, name)
        for heading in ["Tasks", "Output datasets and their account", "ACDC", "Timeline"] { #expect(html.contains("<h3>\(heading)</h3>"), "\(heading)") }
        #expect(html.contains("<td>new</td><td>assignment-approved</td>") && html.contains("no ACDC records"))
        #expect(!html.contains("Tier-0 runs"), "no Tier-0 section without Tier-0 runs")
    }

    @Test func aFailedJobShowsInItsTaskAndInACDC() throws {
        let (agent, name) = try OperationsPageFixtures.productionWithFailures("report-sections-acdc")
        defer { agent.killLeftovers() }
        let request = try #require(try OperationsPageFixtures.report(agent).requests.first { $0.name == name })
        let genSim = try #require(request.tasks.first { $0.task.hasSuffix("/GenSim") }, "\(request.tasks)")
        #expect(genSim.failedAttempts == 1 && genSim.jobsByOutcome["success"] == 1, "\(genSim)")
        let acdc = try #require(request.acdc)
        #expect(acdc.records >= 1 && acdc.lumis == 2 && acdc.events == 200, "\(acdc)")
        #expect(request.datasets.contains { ($0.acdcLumis ?? 0) > 0 || ($0.missingLumis ?? 0) > 0 }, "\(request.datasets)")
        _ = try agent.wmctlOK(["report", "--html"])
        let html = try OperationsPageFixtures.requestPage(agent, name)
        #expect(html.contains("\(acdc.records) record(s) holding"))
    }

    @Test func tier0RunsAreASectionAndADamagedOneIsNamed() throws {
        let agent = try EndToEndAgent("report-t0")
        let state = #"{"run": 1, "hltKey": "<b>key", "ended": true, "lumiCount": 2, "expectedInstances": 1, "instancesEnded": ["a"], "instancesSeen": ["a"], "#
            + #""streams": [{"stream": "Express", "lumis": [{"lumi": 1, "files": 1, "registered": 1, "state": "finalClosed"}, {"lumi": 2, "files": 1, "registered": 0, "state": "closed"}]}]}"#
        for (run, text) in [(1, state), (2, "{\"run\": ")] {
            let folder = agent.spool.path(Layout.tier0Run(run).root)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: folder + "/" + Layout.Tier0RunFolders.stateName))
        }
        var report = try OperationsPageFixtures.report(agent)
        #expect(report.tier0Runs.isEmpty && report.problems.count == 1 && report.problems[0].contains("t0/runs/2"), "\(report.problems)")
        try FileManager.default.removeItem(atPath: agent.spool.path(Layout.tier0Run(2).root))
        report = try OperationsPageFixtures.report(agent)
        let run = try #require(report.tier0Runs.first)
        #expect(report.tier0Runs.count == 1 && run.run == 1 && run.ended && run.instancesEnded == 1, "\(report.tier0Runs)")
        #expect(run.streams == [.init(stream: "Express", finalClosed: 1, closed: 1, open: 0)])
        _ = try agent.wmctlOK(["report", "--html"])
        let html = try String(contentsOfFile: agent.spool.path("www/index.html"), encoding: .utf8)
        #expect(html.contains("<h2>Tier-0 runs</h2>") && html.contains("&lt;b&gt;key") && !html.contains("<b>key"))
        // Each run's PromptReco releases, and the global hold.
        #expect(run.promptReco == "no PromptReco")
        _ = try agent.wmctlOK(["t0", "hold"])
        #expect(try OperationsPageFixtures.report(agent).tier0Runs.first?.promptReco == "no PromptReco (held)")
        _ = try agent.wmctlOK(["report", "--html"])
        #expect(try String(contentsOfFile: agent.spool.path("www/index.html"), encoding: .utf8).contains("<td>no PromptReco (held)</td>"))
    }
}
