import Commands
import Foundation
import JobSplitting
import WMCore

/// The operations page's plots as inline SVG (no scripts): a request's jobs done over time, its jobs by state over
/// time, and its error mix (failed attempts by exit code). Every label from the spool is escaped.
enum OperationsPlots {
    /// The plot area: width and height in pixels, and the margins for the axes' labels.
    static let width = 460.0, height = 170.0, left = 52.0, right = 12.0, topMargin = 10.0, bottom = 34.0
    /// Line colours, in the order states are drawn.
    static let colors = ["#38c", "#e80", "#3a3", "#b00", "#85c", "#888", "#c6c", "#0aa", "#a60", "#555"]
    /// Bars drawn at most in the error mix (the rest are summed under `other`).
    static let maxBars = 12

    /// Jobs done over time: one point per sample; nil without samples.
    static func progress(_ samples: [OperationsReport.ActivitySample]) -> String? {
        guard !samples.isEmpty else { return nil }
        let yMax = max(1, samples.map(\.jobsDone).max() ?? 1)
        return chart(title: "jobs done over time", samples: samples, yMax: yMax,
                     lines: [("jobs done", samples.map(\.jobsDone))])
    }

    /// Jobs by state over time: one line per state that ever had jobs, one point per sample.
    static func jobsByState(_ samples: [OperationsReport.ActivitySample]) -> String? {
        let states = Set(samples.flatMap(\.jobsByState.keys)).sorted()
        guard !samples.isEmpty, !states.isEmpty else { return nil }
        let lines = states.map { state in (state, samples.map { $0.jobsByState[state] ?? 0 }) }
        let yMax = max(1, lines.flatMap(\.1).max() ?? 1)
        return chart(title: "jobs by state over time", samples: samples, yMax: yMax, lines: lines)
    }

    /// Failed attempts by exit code (summed over sites), one bar per code, most first; nil when there are none.
    static func errorMix(_ failures: [OperationsReport.Failure]) -> String? {
        var byCode: [Int: Int] = [:]
        for failure in failures { byCode[failure.exitCode] = SaturatingArithmetic.add(byCode[failure.exitCode] ?? 0, failure.count) }
        var bars = byCode.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { (String($0.key), $0.value) }
        guard !bars.isEmpty else { return nil }
        if bars.count > maxBars {
            bars = Array(bars.prefix(maxBars - 1)) + [("other", SaturatingArithmetic.sum(bars.dropFirst(maxBars - 1).map(\.1)))]
        }
        let yMax = max(1, bars.map(\.1).max() ?? 1)
        let plotWidth = width - left - right, plotHeight = height - topMargin - bottom
        let slot = plotWidth / Double(bars.count)
        var svg = open("error mix: failed attempts by exit code") + axes(yMax: yMax, xLabel: "exit code")
        for (i, bar) in bars.enumerated() {
            let h = plotHeight * Double(bar.1) / Double(yMax)
            let x = left + slot * Double(i) + slot * 0.15
            svg += "<rect class=\"bar-code\" x=\"\(f(x))\" y=\"\(f(height - bottom - h))\" width=\"\(f(slot * 0.7))\" height=\"\(f(h))\" fill=\"#b00\">"
                + "<title>exit code \(OperationsPage.escape(bar.0)): \(bar.1) failed attempt(s)</title></rect>"
            svg += text(x: x + slot * 0.35, y: height - bottom + 13, bar.0, anchor: "middle")
        }
        return "<figure class=\"plot\">" + svg + "</svg><figcaption>failed attempts by exit code</figcaption></figure>"
    }

    /// A line chart over the samples' times, `lines` named with their values per sample, with a legend.
    static func chart(title: String, samples: [OperationsReport.ActivitySample], yMax: Int, lines: [(String, [Int])]) -> String {
        let t0 = samples.first!.time, t1 = samples.last!.time
        let plotWidth = width - left - right, plotHeight = height - topMargin - bottom
        func x(_ t: Double) -> Double { t1 > t0 ? left + plotWidth * (t - t0) / (t1 - t0) : left + plotWidth / 2 }
        func y(_ v: Int) -> Double { height - bottom - plotHeight * Double(max(0, v)) / Double(yMax) }
        var svg = open(title) + axes(yMax: yMax, xLabel: "time (UTC)")
        svg += text(x: left, y: height - bottom + 13, Logger.timestamp(t0), anchor: "start")
        if t1 > t0 { svg += text(x: width - right, y: height - bottom + 13, Logger.timestamp(t1), anchor: "end") }
        for (i, line) in lines.enumerated() {
            let color = colors[i % colors.count]
            let points = zip(samples, line.1).map { "\(f(x($0.time))),\(f(y($1)))" }.joined(separator: " ")
            svg += "<polyline class=\"series\" data-series=\"\(OperationsPage.escape(line.0))\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(points)\">"
                + "<title>\(OperationsPage.escape(line.0))</title></polyline>"
        }
        let legend = lines.enumerated().map { i, line in
            "<span style=\"color:\(colors[i % colors.count])\">■</span> \(OperationsPage.escape(line.0))"
        }.joined(separator: " ")
        return "<figure class=\"plot\">" + svg + "</svg><figcaption>\(OperationsPage.escape(title)): \(legend)</figcaption></figure>"
    }

    /// The SVG's opening tag, labelled `title` for readers.
    static func open(_ title: String) -> String {
        "<svg width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(OperationsPage.escape(title))\">"
            + "<title>\(OperationsPage.escape(title))</title>"
    }

    /// The axes: the y axis from 0 to `yMax` (labelled at both ends) and the x axis labelled `xLabel`.
    static func axes(yMax: Int, xLabel: String) -> String {
        "<line x1=\"\(f(left))\" y1=\"\(f(topMargin))\" x2=\"\(f(left))\" y2=\"\(f(height - bottom))\" stroke=\"#444\"/>"
            + "<line x1=\"\(f(left))\" y1=\"\(f(height - bottom))\" x2=\"\(f(width - right))\" y2=\"\(f(height - bottom))\" stroke=\"#444\"/>"
            + text(x: left - 4, y: topMargin + 8, String(yMax), anchor: "end") + text(x: left - 4, y: height - bottom, "0", anchor: "end")
            + text(x: left + (width - left - right) / 2, y: height - 4, xLabel, anchor: "middle")
    }

    /// Escaped `label` at (x, y).
    static func text(x: Double, y: Double, _ label: String, anchor: String) -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"10\" text-anchor=\"\(anchor)\">\(OperationsPage.escape(label))</text>"
    }

    /// `v` with one decimal (integer arithmetic: `String(format:)` was most of the time of a thousand request pages).
    static func f(_ v: Double) -> String {
        guard v.isFinite, abs(v) < 1e12 else { return "0.0" }
        let tenths = Int((v * 10).rounded())
        let whole = String(abs(tenths) / 10) + "." + String(abs(tenths) % 10)
        return tenths < 0 ? "-" + whole : whole
    }
}
