import Commands
import Foundation
import JobSplitting
import WMCore

/// The operations page: an `OperationsReport` as one self-contained HTML file (inline CSS, inline SVG bars, no
/// scripts, no network). Every string from the spool is HTML-escaped: request names, sites and error messages are
/// hostile input.
public enum OperationsPage {
    /// Requests listed on one index page unless told otherwise.
    public static let defaultPageSize = 100
    /// The folder of the per-request pages, beside the index pages.
    public static let requestsFolder = "requests"

    /// The pages of `report`, as paths relative to the page folder (`index.html`, `index-2.html`, …, and
    /// `requests/<request>.html`) with their HTML: each index page lists at most `pageSize` requests (by name) and
    /// links to the others and to each request's page.
    public static func site(_ report: OperationsReport, pageSize: Int = defaultPageSize) -> [(path: String, html: String)] {
        let size = max(1, pageSize)
        let pages = max(1, (report.requests.count + size - 1) / size)
        var site: [(path: String, html: String)] = []
        for page in 1...pages {
            let slice = Array(report.requests.dropFirst((page - 1) * size).prefix(size))
            site.append((indexFile(page), indexPage(report, requests: slice, page: page, pages: pages)))
            for request in slice { site.append((requestFile(request.name), requestPage(request, index: indexFile(page)))) }
        }
        return site
    }

    /// The `page`th index page's file name: `index.html`, then `index-2.html`, ….
    public static func indexFile(_ page: Int) -> String { page <= 1 ? "index.html" : "index-\(page).html" }

    /// `requests/<name>.html`: the request's page, its name derived from the request name (confined to one path
    /// component): letters, digits, `.`, `_` and `-` are kept, any other byte is written `~XX` (hex), a leading
    /// `.` too; a name longer than 180 bytes is cut and ends with a hash of the whole name.
    public static func requestFile(_ name: String) -> String {
        var out = ""
        for (i, byte) in name.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "_"), UInt8(ascii: "-"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: ".") where i > 0:
                out += "."
            default:
                out += (byte < 16 ? "~0" : "~") + String(byte, radix: 16, uppercase: true)
            }
        }
        if out.isEmpty { out = "~" }
        if out.utf8.count > 180 {
            var hash: UInt64 = 0xcbf29ce484222325
            for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
            out = String(out.prefix(160)) + "~" + String(hash, radix: 16)
        }
        return requestsFolder + "/" + out + ".html"
    }

    /// The head of every page, titled `title`.
    static func head(_ title: String) -> String {
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(escape(title))</title>\n<style>\(style)</style></head><body>"
    }

    /// One index page: the requests of `requests` (its slice), links to the other pages, and the agent's sections.
    static func indexPage(_ report: OperationsReport, requests: [OperationsReport.RequestReport], page: Int, pages: Int) -> String {
        var html = Page()
        html.raw(head(pages > 1 ? "WMSpool operations (page \(page) of \(pages))" : "WMSpool operations"))
        html.raw("<h1>WMSpool operations</h1>")
        html.element("p", "generated \(Logger.timestamp(report.generatedAt)): \(report.requests.count) request(s), "
                     + "\(report.stages.count) stage(s), \(report.sites.count) site(s)")
        pager(page: page, pages: pages, into: &html)
        requestsTable(requests, into: &html)
        pager(page: page, pages: pages, into: &html)
        stagesTable(report, into: &html)
        sitesTable(report, into: &html)
        tier0Table(report, into: &html)
        for problem in report.problems { html.raw("<p class=\"stuck\">UNREADABLE: \(escape(problem))</p>") }
        html.raw("</body></html>")
        return html.text
    }

    /// Links to every index page (the current one in bold); nothing when there is one page.
    static func pager(page: Int, pages: Int, into html: inout Page) {
        guard pages > 1 else { return }
        let links = (1...pages).map { $0 == page ? "<b>\($0)</b>" : "<a href=\"\(indexFile($0))\">\($0)</a>" }
        html.raw("<p class=\"pager\">requests page " + links.joined(separator: " ") + "</p>")
    }

    /// A request's own page: its section and plots, linking back to the index page that lists it.
    static func requestPage(_ request: OperationsReport.RequestReport, index: String) -> String {
        var html = Page()
        html.raw(head("WMSpool request " + request.name))
        html.raw("<p><a href=\"../\(index)\">← all requests</a></p>")
        requestSection(request, into: &html)
        html.raw("</body></html>")
        return html.text
    }

    /// `s` with `&`, `<`, `>`, `"` and `'` replaced by character references, safe in text and in quoted attributes.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static let style = """
        body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}
        th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}th{background:#eee}
        td.n{text-align:right}.stuck{color:#b00;font-weight:bold}.ok{color:#070}section{border-top:2px solid #888;margin-top:1em}
        .bar{white-space:nowrap}.bar svg{vertical-align:middle;margin-right:4px}a.name{overflow-wrap:anywhere}
        table.requests td:first-child{max-width:24em}table.requests .bar{white-space:normal}.bar .t{white-space:nowrap}.plots{display:flex;flex-wrap:wrap;gap:1em}figure.plot{margin:0}
        figcaption{font-size:small;max-width:460px}.pager a,.pager b{margin:0 .3em}
        """

    /// HTML text being built: `raw` for markup, everything else escaped.
    struct Page {
        var text = ""
        mutating func raw(_ markup: String) { text += markup + "\n" }
        mutating func element(_ tag: String, _ content: String, id: String? = nil) {
            text += "<\(tag)\(id.map { " id=\"\(escape($0))\"" } ?? "")>\(escape(content))</\(tag)>\n"
        }
        /// A table with a header row (of class `name`, when given); each cell is (text, numeric) or pre-rendered markup.
        mutating func table(_ headers: [String], _ rows: [[Cell]], class name: String? = nil) {
            text += (name.map { "<table class=\"\($0)\">" } ?? "<table>") + "<tr>" + headers.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
            for row in rows { text += "<tr>" + row.map(\.markup).joined() + "</tr>\n" }
            text += "</table>\n"
        }
    }

    /// One table cell.
    enum Cell {
        case text(String)
        case number(Int)
        case markup(String)
        var markup: String {
            switch self {
            case .text(let s): return "<td>\(escape(s))</td>"
            case .number(let n): return "<td class=\"n\">\(n)</td>"
            case .markup(let m): return "<td>\(m)</td>"
            }
        }
    }

    /// A progress bar as inline SVG with its text: `done / expected (P%)`, or `done / ?` when nothing is expected.
    static func bar(_ done: Int?, of expected: Int?) -> String {
        guard let done else { return "<span class=\"bar\">–</span>" }
        guard let percent = OperationsReport.Progress.percent(done, of: expected), let expected else {
            return "<span class=\"bar\">\(done) / ?</span>"
        }
        let color = percent >= 100 ? "#3a3" : "#38c"
        return "<span class=\"bar\"><svg width=\"100\" height=\"10\" role=\"img\" aria-label=\"\(percent)%\">"
            + "<rect width=\"100\" height=\"10\" fill=\"#ddd\"/><rect width=\"\(percent)\" height=\"10\" fill=\"\(color)\"/></svg>"
            + "<span class=\"t\">\(done) / \(expected) (\(percent)%)</span></span>"
    }

    static func requestsTable(_ requests: [OperationsReport.RequestReport], into page: inout Page) {
        page.raw("<h2>Requests</h2>")
        page.table(["request", "status", "type", "priority", "events", "lumis", "jobs done", "failed attempts"], requests.map { r in
            [.markup("<a class=\"name\" href=\"\(requestFile(r.name))\">\(escape(r.name))</a>"), .text(r.status), .text(r.type), .number(r.priority),
             .markup(bar(r.progress.eventsDone, of: r.progress.eventsExpected)), .markup(bar(r.progress.lumisDone, of: r.progress.lumisExpected)),
             .markup(bar(r.progress.jobsDone, of: r.progress.jobsTotal)), .number(SaturatingArithmetic.sum(r.failures.map(\.count)))]
        }, class: "requests")
    }

    static func requestSection(_ r: OperationsReport.RequestReport, into page: inout Page) {
        page.raw("<section>")
        page.element("h2", "Request " + r.name)
        page.element("p", "status \(r.status), type \(r.type), priority \(r.priority)"
                     + (r.accountVerdict.map { ", account \($0)" } ?? "") + "; events and lumis from the \(r.progress.source)")
        for problem in r.problems { page.raw("<p class=\"stuck\">UNREADABLE: \(escape(problem))</p>") }
        plots(r, into: &page)
        page.element("h3", "Jobs")
        let states = r.jobsByState.sorted { $0.key < $1.key }.map { [Cell.text("in jobs/"), .text($0.key), .number($0.value)] }
        let archived = r.jobsArchived.sorted { $0.key < $1.key }.map { [Cell.text("archived"), .text($0.key), .number($0.value)] }
        page.table(["where", "state or last outcome", "count"], states + archived)
        page.element("h3", "Failures by exit code and site")
        if r.failures.isEmpty { page.element("p", "no failed attempts") } else {
            page.table(["exit code", "site", "failed attempts", "first error"], r.failures.map {
                [.number($0.exitCode), .text($0.site), .number($0.count), .text($0.firstMessage)]
            })
        }
        tasksTable(r, into: &page)
        page.element("h3", "Output datasets and their account")
        if r.datasets.isEmpty { page.element("p", "no output recorded yet") } else {
            page.table(["dataset", "events", "lumis", "missing lumis (events)", "duplicated lumis (events)", "in ACDC lumis (events)"], r.datasets.map {
                [.text($0.dataset), .markup(bar($0.events, of: $0.expectedEvents)), .markup(bar($0.lumis, of: $0.expectedLumis)),
                 .text(pair($0.missingLumis, $0.missingEvents)), .text(pair($0.duplicatedLumis, $0.duplicatedEvents)),
                 .text(pair($0.acdcLumis, $0.acdcEvents))]
            })
        }
        page.element("h3", "ACDC")
        page.element("p", r.acdc.map { "\($0.records) record(s) holding \($0.files) file(s), \($0.lumis) lumi(s), \($0.events) event(s) for recovery" }
                     ?? "no ACDC records")
        page.element("h3", "Timeline")
        page.table(["time", "from", "to", "actor", "reason"], r.timeline.map {
            [.text(Logger.timestamp($0.time)), .text($0.from), .text($0.to), .text($0.actor), .text($0.reason)]
        })
        page.raw("</section>")
    }

    /// The request's plots: jobs done and jobs by state over time, and its error mix.
    static func plots(_ r: OperationsReport.RequestReport, into page: inout Page) {
        page.element("h3", "Plots")
        let plots = [OperationsPlots.progress(r.activity), OperationsPlots.jobsByState(r.activity), OperationsPlots.errorMix(r.failures)].compactMap { $0 }
        if plots.isEmpty { page.element("p", "nothing to plot yet: no job history and no failed attempts") } else {
            page.raw("<div class=\"plots\">" + plots.joined() + "</div>")
        }
    }

    /// `lumis (events)` of an account column, `–` when the account does not know them.
    static func pair(_ lumis: Int?, _ events: Int?) -> String {
        guard let lumis else { return "–" }
        return "\(lumis) (\(events.map(String.init) ?? "?"))"
    }

    /// `<label>key n, <label>key n` of counts by name (numeric names in numeric order), `–` when there are none.
    static func counts(_ counts: [String: Int], label: String = "") -> String {
        let keys = counts.keys.sorted { (Int($0) ?? Int.max, $0) < (Int($1) ?? Int.max, $1) }
        return keys.isEmpty ? "–" : keys.map { "\(label)\($0): \(counts[$0] ?? 0)" }.joined(separator: ", ")
    }

    static func tasksTable(_ r: OperationsReport.RequestReport, into page: inout Page) {
        page.element("h3", "Tasks")
        if r.tasks.isEmpty { page.element("p", "no task has jobs yet"); return }
        page.table(["task (the path as tooltip)", "in jobs/", "last outcomes", "failed attempts", "successful jobs by retries"], r.tasks.map {
            [.markup("<span title=\"\(escape($0.task))\">\(escape(taskName($0.task)))</span>"), .text(counts($0.jobsByState)), .text(counts($0.jobsByOutcome)), .number($0.failedAttempts),
             .text(counts($0.retries, label: "retries "))]
        })
    }

    /// A task path's last part (the task's name; the whole path is the cell's tooltip: chains make paths long).
    static func taskName(_ path: String) -> String { path.split(separator: "/").last.map(String.init) ?? path }

    static func tier0Table(_ report: OperationsReport, into page: inout Page) {
        guard !report.tier0Runs.isEmpty else { return }
        page.raw("<h2>Tier-0 runs</h2>")
        page.table(["run", "HLT key", "ended", "instances ended", "PromptReco", "stream", "lumis final-closed", "closed", "open"], report.tier0Runs.flatMap { run in
            let head: [Cell] = [.number(run.run), .text(run.hltKey ?? "(no run document yet)"),
                                .text(run.ended ? "ended, \(run.lumiCount.map(String.init) ?? "?") lumis" : "not ended"),
                                .text("\(run.instancesEnded)/" + (run.expectedInstances.map(String.init) ?? "?")), .text(run.promptReco)]
            if run.streams.isEmpty { return [head + [.text("–"), .number(0), .number(0), .number(0)]] }
            return run.streams.map { head + [.text($0.stream), .number($0.finalClosed), .number($0.closed), .number($0.open)] }
        })
    }

    static func stagesTable(_ report: OperationsReport, into page: inout Page) {
        page.raw("<h2>Stages</h2>")
        page.table(["stage", "last cycle", "backlog", "done by its last run", "health"], report.stages.map { s in
            [.text(s.stage), .text(Logger.timestamp(s.lastCycle)), .number(s.backlog), .number(s.itemsDone),
             .markup(s.stuck ? "<span class=\"stuck\">STUCK</span> since \(escape(Logger.timestamp(s.lastProgress)))" : "<span class=\"ok\">ok</span>")]
        })
    }

    static func sitesTable(_ report: OperationsReport, into page: inout Page) {
        page.raw("<h2>Sites</h2>")
        page.table(["site", "state", "pending slots", "running slots", "executing jobs"], report.sites.map {
            [.text($0.name), .text($0.state), .number($0.pendingSlots), .number($0.runningSlots), .number($0.executingJobs)]
        })
    }
}
