import Commands
import Foundation
import JobSplitting
import WMCore

/// The operations page: an `OperationsReport` as one self-contained HTML file (inline CSS, inline SVG bars, no
/// scripts, no network). Every string from the spool is HTML-escaped: request names, sites and error messages are
/// hostile input.
public enum OperationsPage {
    /// The page of `report`.
    public static func html(_ report: OperationsReport) -> String {
        var page = Page()
        page.raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>WMSpool operations</title>\n<style>\(style)</style></head><body>")
        page.raw("<h1>WMSpool operations</h1>")
        page.element("p", "generated \(Logger.timestamp(report.generatedAt)): \(report.requests.count) request(s), "
                     + "\(report.stages.count) stage(s), \(report.sites.count) site(s)")
        requestsTable(report, into: &page)
        for (index, request) in report.requests.enumerated() { requestSection(request, index: index, into: &page) }
        stagesTable(report, into: &page)
        sitesTable(report, into: &page)
        tier0Table(report, into: &page)
        for problem in report.problems { page.raw("<p class=\"stuck\">UNREADABLE: \(escape(problem))</p>") }
        page.raw("</body></html>\n")
        return page.text
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
        .bar{white-space:nowrap}.bar svg{vertical-align:middle;margin-right:4px}
        """

    /// HTML text being built: `raw` for markup, everything else escaped.
    struct Page {
        var text = ""
        mutating func raw(_ markup: String) { text += markup + "\n" }
        mutating func element(_ tag: String, _ content: String, id: String? = nil) {
            text += "<\(tag)\(id.map { " id=\"\(escape($0))\"" } ?? "")>\(escape(content))</\(tag)>\n"
        }
        /// A table with a header row; each cell is (text, numeric) or pre-rendered markup.
        mutating func table(_ headers: [String], _ rows: [[Cell]]) {
            text += "<table><tr>" + headers.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
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

    /// The anchor of the `index`th request's section (names are hostile; indexes are not).
    static func anchor(_ index: Int) -> String { "request-\(index + 1)" }

    /// A progress bar as inline SVG with its text: `done / expected (P%)`, or `done / ?` when nothing is expected.
    static func bar(_ done: Int?, of expected: Int?) -> String {
        guard let done else { return "<span class=\"bar\">–</span>" }
        guard let percent = OperationsReport.Progress.percent(done, of: expected), let expected else {
            return "<span class=\"bar\">\(done) / ?</span>"
        }
        let color = percent >= 100 ? "#3a3" : "#38c"
        return "<span class=\"bar\"><svg width=\"100\" height=\"10\" role=\"img\" aria-label=\"\(percent)%\">"
            + "<rect width=\"100\" height=\"10\" fill=\"#ddd\"/><rect width=\"\(percent)\" height=\"10\" fill=\"\(color)\"/></svg>"
            + "\(done) / \(expected) (\(percent)%)</span>"
    }

    static func requestsTable(_ report: OperationsReport, into page: inout Page) {
        page.raw("<h2>Requests</h2>")
        page.table(["request", "status", "type", "priority", "events", "lumis", "jobs done", "failed attempts"], report.requests.enumerated().map { index, r in
            [.markup("<a href=\"#\(anchor(index))\">\(escape(r.name))</a>"), .text(r.status), .text(r.type), .number(r.priority),
             .markup(bar(r.progress.eventsDone, of: r.progress.eventsExpected)), .markup(bar(r.progress.lumisDone, of: r.progress.lumisExpected)),
             .markup(bar(r.progress.jobsDone, of: r.progress.jobsTotal)), .number(SaturatingArithmetic.sum(r.failures.map(\.count)))]
        })
    }

    static func requestSection(_ r: OperationsReport.RequestReport, index: Int, into page: inout Page) {
        page.raw("<section id=\"\(anchor(index))\">")
        page.element("h2", "Request " + r.name)
        page.element("p", "status \(r.status), type \(r.type), priority \(r.priority)"
                     + (r.accountVerdict.map { ", account \($0)" } ?? "") + "; events and lumis from the \(r.progress.source)")
        for problem in r.problems { page.raw("<p class=\"stuck\">UNREADABLE: \(escape(problem))</p>") }
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
        page.table(["run", "HLT key", "ended", "instances ended", "stream", "lumis final-closed", "closed", "open"], report.tier0Runs.flatMap { run in
            let head: [Cell] = [.number(run.run), .text(run.hltKey ?? "(no run document yet)"),
                                .text(run.ended ? "ended, \(run.lumiCount.map(String.init) ?? "?") lumis" : "not ended"),
                                .text("\(run.instancesEnded)/" + (run.expectedInstances.map(String.init) ?? "?"))]
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
