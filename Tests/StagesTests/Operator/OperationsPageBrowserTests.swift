import Foundation
import Testing
import TestSupport
@testable import BatchSystems
@testable import Operator
@testable import SpoolKit
@testable import SpoolLayout

/// Debian's `chromium`, when installed (`scripts/chromium-local` installs it; `$WM_CHROMIUM` names another).
enum ChromiumProbe {
    /// The browser's path, or nil.
    static let path: String? = {
        if let named = ProcessInfo.processInfo.environment["WM_CHROMIUM"], !named.isEmpty { return named }
        return CommandRunner.locate("chromium") ?? CommandRunner.locate("chromium-browser")
    }()

    /// Runs headless chromium on `page` with `arguments` (its own profile, so tests may run it in parallel).
    static func run(_ arguments: [String], page: String) throws -> CommandRunner.Outcome {
        let browser = try #require(path)
        let profile = TestSupport.temporaryDirectory("chromium-profile")
        return try CommandRunner.run(browser, ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile]
                                     + arguments + ["file://" + page], timeout: 90)
    }

    /// What a person reads on `page`: the DOM chromium rendered, its markup removed and character references decoded.
    static func visibleText(of page: String) throws -> String {
        let outcome = try run(["--dump-dom"], page: page)
        try #require(outcome.status == 0 && outcome.stdout.contains("</html>"), "chromium --dump-dom: exit \(outcome.status): \(outcome.stderr.suffix(2000))")
        let dom = outcome.stdout.replacingOccurrences(of: "<style>[^<]*</style>", with: " ", options: .regularExpression)
        return dom.replacingOccurrences(of: "<[^>]*>", with: " ", options: .regularExpression)
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
            .replacingOccurrences(of: "\\s+", with: " ", options: .regularExpression)
    }

    /// A screenshot of `page` in a window `width` pixels wide (PNG bytes), copied to the file `$<keepVariable>` names, if any.
    static func screenshot(of page: String, width: Int = 1400, keepVariable: String = "WM_OPERATIONS_SCREENSHOT") throws -> Data {
        let file = TestSupport.temporaryDirectory("chromium-shot") + "/page.png"
        let outcome = try run(["--screenshot=" + file, "--window-size=\(width),1300", "--hide-scrollbars"], page: page)
        try #require(outcome.status == 0, "chromium --screenshot: exit \(outcome.status): \(outcome.stderr.suffix(2000))")
        let png = try Data(contentsOf: URL(fileURLWithPath: file))
        if let keep = ProcessInfo.processInfo.environment[keepVariable], !keep.isEmpty {
            try png.write(to: URL(fileURLWithPath: keep))
        }
        return png
    }
}

/// Issue 22, "must show": the operations page of a finished production and of one with injected failures, as a
/// real headless browser renders them. Skipped without chromium (`scripts/chromium-local` installs it).
@Suite(.enabled(if: ChromiumProbe.path != nil, "no chromium here; run scripts/chromium-local to enable the browser tests"))
struct OperationsPageBrowserTests {
    /// Writes the agent's pages with `wmctl report --html`; returns the paths of the index and of `request`'s page.
    func writePages(_ agent: EndToEndAgent, request: String) throws -> (index: String, request: String) {
        _ = try agent.wmctlOK(["report", "--html"])
        return (agent.spool.path(Layout.operationsPageFolder + "/" + Layout.operationsPageFile),
                agent.spool.path(Layout.operationsPageFolder + "/" + OperationsPage.requestFile(request)))
    }

    @Test func theBrowserShowsAFinishedProductionDoneWithItsDatasets() throws {
        let (agent, name) = try OperationsPageFixtures.finishedProduction("browser-done")
        defer { agent.killLeftovers() }
        let pages = try writePages(agent, request: name)
        let index = try ChromiumProbe.visibleText(of: pages.index)
        #expect(index.contains(name) && index.contains("400 / 400 (100%)"), "the request's row: \(index.prefix(1500))")
        let text = try ChromiumProbe.visibleText(of: pages.request)
        #expect(text.contains(name), "the request's name")
        #expect(text.contains("completed"))
        #expect(text.contains("400 / 400 (100%)") && text.contains("4 / 4 (100%)"), "events and lumis at 100%: \(text.prefix(1500))")
        for dataset in OperationsPageFixtures.datasets { #expect(text.contains(dataset), "\(dataset) on the page") }
        #expect(text.contains("no failed attempts"))
        // The tasks table: a row per task with its last outcomes and successes by retries.
        let request = try #require(try OperationsPageFixtures.report(agent).requests.first { $0.name == name })
        #expect(text.contains("Tasks task (the path as tooltip) in jobs/ last outcomes failed attempts successful jobs by retries"), "the tasks table's header")
        let genSim = try #require(request.tasks.first { $0.task.hasSuffix("/GenSim") })
        let jobs = try #require(genSim.jobsByOutcome["success"])
        #expect(text.contains(" GenSim – success: \(jobs) 0 retries 0: \(jobs)"), "the GenSim row: \(text.prefix(4000))")
        // The timeline: every transition, from the creation to completed.
        #expect(text.contains("Timeline time from to actor reason"), "the timeline's header")
        for step in request.timeline { #expect(text.contains(" \(step.from) \(step.to) \(step.actor) "), "\(step)") }
        #expect(text.contains(" none new ") && text.contains(" completed "))
        #expect(text.contains("Plots") && text.contains("jobs done over time") && text.contains("jobs by state over time"), "the plots' captions")
        let png = try ChromiumProbe.screenshot(of: pages.request)
        _ = try ChromiumProbe.screenshot(of: pages.index, keepVariable: "WM_OPERATIONS_INDEX_SCREENSHOT")
        #expect(png.count > 1000 && png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "a PNG of \(png.count) bytes")
    }

    @Test func theBrowserShowsFailuresByExitCodeAndSite() throws {
        let (agent, name) = try OperationsPageFixtures.productionWithFailures("browser-failures")
        defer { agent.killLeftovers() }
        let failure = try #require(try OperationsPageFixtures.report(agent).requests.first { $0.name == name }?.failures.first { $0.exitCode == 8001 })
        let text = try ChromiumProbe.visibleText(of: try writePages(agent, request: name).request)
        #expect(text.contains("Failures by exit code and site"))
        #expect(text.contains("8001 \(failure.site) 1 "), "the row: exit code, site, one failed attempt: \(text.prefix(3000))")
        #expect(text.contains(String(failure.firstMessage.prefix(40))), "the first error message")
        #expect(text.contains("account incomplete"))
        #expect(text.contains("error mix: failed attempts by exit code"), "the error mix plot")
    }
}
