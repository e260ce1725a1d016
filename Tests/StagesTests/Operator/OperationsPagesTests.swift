import Foundation
import Testing
import TestSupport
@testable import Benchmarks
@testable import Operator
@testable import SpoolKit
@testable import SpoolLayout
@testable import WMCore

/// Issue 22, third slice: plots, per-request pages, paging and the archive's activity digests.
@Suite struct OperationsPagesTests {
    /// A job of `workflow` that ran from `start` and succeeded (created, executing, complete, success, cleanout).
    func job(_ workflow: String, _ number: Int, start: Double) throws -> JobBody {
        try ReportBenchmark.archivedJob(workflow: workflow, number: number, start: start).body
    }

    /// A report of `requests` requests named `r0001`… with nothing else.
    func report(requests: Int) -> OperationsReport {
        let rows = (1...requests).map {
            OperationsReport.RequestReport(name: String(format: "r%04d", $0), status: "completed", type: "MonteCarlo", priority: 1,
                                           progress: .init(jobsDone: 1, jobsTotal: 1, source: "none"), jobsByState: [:], jobsArchived: [:],
                                           failures: [], datasets: [], accountVerdict: nil)
        }
        return OperationsReport(generatedAt: 0, requests: rows, stages: [], sites: [])
    }

    @Test func jobActivityCountsStatesAndJobsDoneOverTime() throws {
        let b = Double(JobActivity.bucketSeconds)
        var activity = JobActivity()
        activity.add(try job("w", 1, start: 1000 * b))          // created at bucket 1000, success at 1000 + 3700 s
        activity.add(try job("w", 2, start: 1000 * b + 2 * b))  // two buckets later
        activity.add(try job("other", 1, start: 1000 * b))
        let samples = activity.samples(of: "w")
        let done = activity.samples(of: "w").last
        #expect(samples.count == 16 && samples.first?.time == 1000 * b && samples[1].time == 1001 * b,
                "nothing at the first bucket's start, then one sample per bucket to the last: \(samples.map(\.time))")
        #expect(samples[0].jobsByState.isEmpty && samples[0].jobsDone == 0)
        #expect(samples[1].jobsByState == ["executing": 1] && samples[1].jobsDone == 0, "\(samples[1])")
        #expect(samples[3].jobsByState == ["executing": 2], "\(samples[3])")
        #expect(done?.jobsDone == 2 && done?.jobsByState == ["cleanout": 2], "\(String(describing: done))")
        #expect(activity.samples(of: "nobody").isEmpty)
        // Many buckets are sampled at most `limit` times; the digest's text gives the same activity back.
        activity.add(try job("w", 3, start: 5000 * b))
        #expect(activity.samples(of: "w", limit: 40).count == 40)
        #expect(JobActivity.parse(lines: activity.serialized().split(separator: "\n")) == activity)
        #expect(JobActivity.parse(lines: ["w\tx\tnew\t1"]) == nil && JobActivity.parse(lines: ["w\t1\tnew"]) == nil, "a damaged digest is refused")
        // A hostile history (times out of range, a workflow with a tab) cannot trap or corrupt the digest.
        var hostile = try job("a\tb", 1, start: 1000 * b)
        hostile.history.append(Transition(from: "cleanout", to: "new", time: .infinity, actor: "x", reason: "y"))
        hostile.history.append(Transition(from: "new", to: "created", time: -1e300, actor: "x", reason: "y"))
        var other = JobActivity()
        other.add(hostile)
        #expect(other.serialized().isEmpty)
    }

    @Test func plotsHaveAPointPerSampleABarPerExitCodeAndNothingWithoutData() throws {
        var activity = JobActivity()
        for n in 0..<5 { activity.add(try job("w", n, start: 1_780_000_000 + Double(n) * 900)) }
        let samples = activity.samples(of: "w")
        let progress = try #require(OperationsPlots.progress(samples))
        #expect(polylines(progress) == [samples.count], "one line, a point per sample")
        #expect(progress.contains(">time (UTC)</text>") && progress.contains(">5</text>"), "axis labels: time and the most jobs done")
        let states = try #require(OperationsPlots.jobsByState(samples))
        let stateNames = Set(samples.flatMap(\.jobsByState.keys))
        #expect(polylines(states) == Array(repeating: samples.count, count: stateNames.count) && stateNames.count >= 2, "\(stateNames)")
        let failures = [OperationsReport.Failure(exitCode: 8001, site: "A", count: 3, firstMessage: ""),
                        .init(exitCode: 8001, site: "B", count: 1, firstMessage: ""), .init(exitCode: 50664, site: "A", count: 2, firstMessage: "")]
        let mix = try #require(OperationsPlots.errorMix(failures))
        #expect(mix.components(separatedBy: "<rect class=\"bar-code\"").count - 1 == 2, "one bar per exit code")
        #expect(mix.contains("exit code 8001: 4 failed attempt(s)") && mix.contains(">50664</text>"))
        // Nothing to draw: no plot, and the request page says so.
        #expect(OperationsPlots.progress([]) == nil && OperationsPlots.jobsByState([]) == nil && OperationsPlots.errorMix([]) == nil)
        let empty = report(requests: 1).requests[0]
        #expect(OperationsPage.requestPage(empty, index: "index.html").contains("nothing to plot yet"))
        #expect(!OperationsPage.requestPage(empty, index: "index.html").contains("<polyline"))
    }

    /// The number of points of each polyline in `svg`.
    func polylines(_ svg: String) -> [Int] {
        svg.components(separatedBy: "<polyline").dropFirst().map { tail in
            let points = tail.components(separatedBy: "points=\"")[1].prefix { $0 != "\"" }
            return points.split(separator: " ").count
        }
    }

    @Test func aFinishedProductionHasItsPlotsOnItsOwnPage() throws {
        let (agent, name) = try OperationsPageFixtures.productionWithFailures("pages-plots")
        defer { agent.killLeftovers() }
        let request = try #require(try OperationsPageFixtures.report(agent).requests.first { $0.name == name })
        let last = try #require(request.activity.last, "the jobs' histories give samples")
        #expect(last.jobsDone == request.progress.jobsTotal, "every job done at the end: \(last) \(request.progress)")
        #expect(request.activity.count >= 2 && request.activity.count <= 40 && request.activity[0].jobsDone == 0, "from nothing to done")
        _ = try agent.wmctlOK(["report", "--html"])
        let page = try OperationsPageFixtures.requestPage(agent, name)
        let states = Set(request.activity.flatMap(\.jobsByState.keys))
        #expect(polylines(page) == Array(repeating: request.activity.count, count: 1 + states.count), "jobs done, then a line per state")
        #expect(page.components(separatedBy: "<rect class=\"bar-code\"").count - 1 == Set(request.failures.map(\.exitCode)).count)
        #expect(!page.contains("<script"))
        let index = try String(contentsOfFile: agent.spool.path("www/index.html"), encoding: .utf8)
        #expect(index.contains("<a class=\"name\" href=\"\(OperationsPage.requestFile(name))\">") && !index.contains("<polyline"),
                "the index links to the request's page; the plots are there")
        #expect(page.contains("<a href=\"../index.html\">"), "the request's page links back")
    }

    @Test func archiveDigestsReadEachJobOnceAndFollowNewOnes() throws {
        let spool = try Spool(root: TestSupport.temporaryDirectory("pages-digests"), durability: .none)
        let day = Layout.archivedJobs(year: 2026, month: 5, day: 28)
        try spool.ensureDirectories([day])
        func archive(_ number: Int) throws {
            let doc = try ReportBenchmark.archivedJob(workflow: "w", number: number, start: 1_780_000_000 + Double(number) * 60)
            try Data(try Areas.jobs(spool).encode(doc)).write(to: URL(fileURLWithPath: spool.path(day) + "/" + doc.body.name + ".json"))
        }
        for n in 0..<20 { try archive(n) }
        let cache = ArchiveActivityCache(spool: spool)
        var loaded = try cache.load()
        #expect(loaded.days.map(\.documentsRead) == [20] && loaded.days.allSatisfy(\.made))
        #expect(loaded.activity.samples(of: "w").last?.jobsDone == 20)
        try cache.save(loaded.days)
        let saved = try Set(FileManager.default.contentsOfDirectory(atPath: spool.path(ArchiveActivityCache.folder)))
        #expect(saved == ["2026-5-28.txt", "2026-5-28.names"])
        // Nothing changed: the digest is used, no document read.
        let again = try cache.load()
        #expect(again.days.map(\.made) == [false] && again.activity == loaded.activity)
        // Jobs archived into the day: only they are read.
        try archive(20)
        try archive(21)
        loaded = try cache.load()
        #expect(loaded.days.map(\.documentsRead) == [2] && loaded.activity.samples(of: "w").last?.jobsDone == 22)
        try cache.save(loaded.days)
        // A job gone from the day (by hand): the day is read again; a damaged document is named, not fatal.
        try FileManager.default.removeItem(atPath: spool.path(day) + "/w-Prod-0.json")
        try Data("{".utf8).write(to: URL(fileURLWithPath: spool.path(day) + "/bad.json"))
        loaded = try cache.load()
        #expect(loaded.days.map(\.documentsRead) == [22] && loaded.activity.samples(of: "w").last?.jobsDone == 21)
        #expect(loaded.problems.count == 1 && loaded.problems[0].contains(day), "\(loaded.problems)")
        // A damaged digest is made again.
        try cache.save(loaded.days)
        try Data("wmspool-activity 1 x\nw\tnope".utf8).write(to: URL(fileURLWithPath: spool.path(ArchiveActivityCache.folder) + "/2026-5-28.txt"))
        #expect(try cache.load().days.map(\.documentsRead) == [22])
        // The day gone from the archive: its digest goes too.
        try FileManager.default.removeItem(atPath: spool.path(day))
        loaded = try cache.load()
        try cache.save(loaded.days)
        let left = try FileManager.default.contentsOfDirectory(atPath: spool.path(ArchiveActivityCache.folder))
        #expect(loaded.days.isEmpty && left.isEmpty, "\(left)")
    }

    @Test func requestPageNamesAreConfinedAndDistinct() {
        let names = ["plain_Name-1.v2", "a/b", "../../etc/passwd", ".hidden", "", "sp ace", "é", "~7E", String(repeating: "x", count: 400),
                     String(repeating: "x", count: 399) + "y"]
        let files = names.map(OperationsPage.requestFile)
        for file in files {
            let component = String(file.dropFirst("requests/".count))
            #expect(file.hasPrefix("requests/") && !component.contains("/") && !component.hasPrefix(".") && component.hasSuffix(".html"), "\(file)")
            #expect(component.utf8.count <= 200 && component.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-~".contains($0)) }, "\(file)")
        }
        #expect(Set(files).count == names.count, "distinct names give distinct pages: \(files)")
        #expect(files[0] == "requests/plain_Name-1.v2.html" && files[1] == "requests/a~2Fb.html")
    }

    @Test func indexPagesArePagedAndStalePagesRemoved() throws {
        let writer = OperationsPageWriter(spool: try Spool(root: TestSupport.temporaryDirectory("pages-paged"), durability: .none))
        let out = TestSupport.temporaryDirectory("pages-paged-out") + "/www"
        let site = OperationsPage.site(report(requests: 250), pageSize: 100)
        #expect(site.filter { !$0.path.hasPrefix("requests/") }.map(\.path) == ["index.html", "index-2.html", "index-3.html"])
        #expect(site.count == 253)
        let second = try #require(site.first { $0.path == "index-2.html" }?.html)
        #expect(second.components(separatedBy: "<a class=\"name\"").count - 1 == 100 && second.contains("r0101") && second.contains("r0200") && !second.contains("r0201"))
        #expect(second.contains("<a href=\"index.html\">1</a> <b>2</b> <a href=\"index-3.html\">3</a>"), "links to the other pages")
        let r0201 = try #require(site.first { $0.path == OperationsPage.requestFile("r0201") }?.html)
        #expect(r0201.contains("<a href=\"../index-3.html\">"), "a request's page links back to the index page listing it")
        #expect(try writer.publish(site, into: out) == .init(written: 253, unchanged: 0, removed: 0))
        #expect(try writer.publish(site, into: out) == .init(written: 0, unchanged: 253, removed: 0), "unchanged pages are not written again")
        // Fewer requests: the third index page and the pages of the requests gone are removed.
        let fewer = OperationsPage.site(report(requests: 120), pageSize: 100)
        #expect(try writer.publish(fewer, into: out) == .init(written: 2, unchanged: 120, removed: 131))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["index-2.html", "index.html", "requests"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: out + "/requests").count == 120)
        // One page is one page: no pager.
        #expect(!OperationsPage.site(report(requests: 3)).contains { $0.html.contains("class=\"pager\"") })
    }

    @Test func thePageSizeGoesWithHtml() throws {
        let agent = try EndToEndAgent("pages-usage")
        for args in [["report", "--json", "--page-size", "5"], ["report", "--html", "--page-size", "0"], ["report", "--html", "--page-size", "x"]] {
            #expect(agent.wmctl(args).code == 64, "\(args)")
        }
        for n in 0..<3 { _ = try agent.submit(try EndToEndRequests.monteCarlo(events: 100 + n, perJob: 100, perLumi: 100)) }
        let out = try agent.wmctlOK(["report", "--html", "--page-size", "2"])
        #expect(out.contains("3 request(s)") && out.contains("5 page(s) written"), "\(out)")
        #expect(SystemCall.exists(agent.spool.path("www/index-2.html")) && !SystemCall.exists(agent.spool.path("www/index-3.html")))
    }
}
