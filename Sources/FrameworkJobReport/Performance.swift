import Foundation

/// One `Metric Name Value` pair, with the value kept exactly as written.
public struct NamedMetric: Equatable, Sendable {
    /// The metric name, e.g. `PeakValueRss`.
    public var name: String
    /// The raw `Value` attribute.
    public var value: String

    /// Creates a metric.
    public init(name: String, value: String) { self.name = name; self.value = value }
}

/// A `PerformanceSummary Metric=X` (or `PerformanceModule Metric=<site> Module=XrdSiteStatistics`) block.
///
/// The report keeps these raw, in document order; the grouped views (`memory`, `cpu`, `storage`,
/// `cmssw`) are derived from them by `PerformanceMetrics`, exactly as WMCore's parser derives them.
public struct PerformanceSummary: Equatable, Sendable {
    /// The `Metric` attribute: the summary name (`Timing`, `ApplicationMemory`, …) or a site for Xrd stats.
    public var metric: String?
    /// The `Module` attribute; `XrdSiteStatistics` marks per-site statistics.
    public var module: String?
    /// The `Metric` children, in order.
    public var metrics: [NamedMetric]

    /// The `Module` value that marks per-site Xrootd statistics.
    public static let xrdSiteStatisticsModule = "XrdSiteStatistics"

    /// Creates a summary block.
    public init(metric: String?, module: String? = nil, metrics: [NamedMetric]) {
        self.metric = metric; self.module = module; self.metrics = metrics
    }
}

/// A metric value as WMCore casts it for `performance.cmssw`.
public enum MetricValue: Equatable, Sendable {
    /// `true` / `false`.
    case bool(Bool)
    /// An integer (`^-?[0-9]+$`).
    case int(Int)
    /// A decimal with a point (`-?\d+\.\d*` or `\d*\.\d+`); exponents are *not* numbers for WMCore.
    case double(Double)
    /// Anything else, stripped, e.g. `-nan` or `6.20954e+07`.
    case text(String)
    /// Xrootd per-site statistics: one `(site, raw value)` per `PerformanceModule`.
    case perSite([SiteMetric])

    /// Casts a raw value with WMCore's `castMetricValue` rules.
    public static func cast(_ raw: String) -> MetricValue {
        let value = Trimming.trimmed(raw, .whitespacesAndNewlines)
        if value == "false" { return .bool(false) }
        if value == "true" { return .bool(true) }
        if isWMCoreFloat(value), let number = Double(value) { return .double(number) }
        if isWMCoreInt(value), let number = Int(value) { return .int(number) }
        return .text(value)
    }

    /// WMCore `pat_float`: `^[-]?\d+\.\d*$` or `^\d*\.\d+$` (ASCII digits).
    static func isWMCoreFloat(_ text: String) -> Bool {
        var bytes = Substring(text).utf8[...]
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { bytes = bytes.dropFirst() }
        guard let dot = bytes.firstIndex(of: UInt8(ascii: ".")) else { return false }
        let whole = bytes[bytes.startIndex..<dot], fraction = bytes[bytes.index(after: dot)...]
        guard whole.allSatisfy(isDigit), fraction.allSatisfy(isDigit) else { return false }
        return negative ? !whole.isEmpty : (!whole.isEmpty || !fraction.isEmpty)
    }

    /// WMCore `pat_int`: `^[0-9-][0-9]*$`; a lone `-` is kept as text (Python would crash on it).
    static func isWMCoreInt(_ text: String) -> Bool {
        let bytes = text.utf8
        guard let first = bytes.first, isDigit(first) || first == UInt8(ascii: "-") else { return false }
        return bytes.dropFirst().allSatisfy(isDigit) && text != "-"
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}

/// One site's value for an Xrootd per-site statistic.
public struct SiteMetric: Equatable, Sendable {
    /// The site (the `Metric` attribute of the `PerformanceModule`).
    public var site: String
    /// The raw value (WMCore does not cast these).
    public var value: String

    /// Creates a site value.
    public init(site: String, value: String) { self.site = site; self.value = value }
}

/// The grouped performance views WMCore builds from the summaries.
public struct PerformanceMetrics: Equatable, Sendable {
    /// `PeakValueRss`, `PeakValueVsize`, `PeakValuePss` (from `LargestRssEvent-h-PSS`), as text.
    public var memory: [String: String] = [:]
    /// The `Timing` summary, values as text.
    public var cpu: [String: String] = [:]
    /// Derived storage figures (`readTotalMB`, `readMBSec`, `readMaxMSec`, `readPercentageOps`, …).
    public var storage: [String: Double] = [:]
    /// Every summary, by `Metric` then name, values cast (Xrd per-site stats under `XrdSiteStatistics`).
    public var cmssw: [String: [String: MetricValue]] = [:]

    /// The memory metrics WMCore keeps, and the name each is stored under.
    static let memoryNames = ["PeakValueRss": "PeakValueRss", "PeakValueVsize": "PeakValueVsize",
                              "LargestRssEvent-h-PSS": "PeakValuePss"]

    /// Builds the views from raw summaries, in document order (later values overwrite earlier ones).
    public init(summaries: [PerformanceSummary]) {
        for summary in summaries {
            addToCMSSW(summary)
            switch summary.metric {
            case "Timing":
                for metric in summary.metrics { cpu[metric.name] = metric.value }
            case "SystemMemory", "ApplicationMemory":
                for metric in summary.metrics {
                    if let key = Self.memoryNames[metric.name] { memory[key] = metric.value }
                }
            case "StorageStatistics":
                storage.merge(StorageStatistics.derive(from: summary.metrics)) { _, new in new }
            default:
                break
            }
        }
    }

    /// An empty set of views.
    public init() {}

    private mutating func addToCMSSW(_ summary: PerformanceSummary) {
        guard let metric = summary.metric else { return }
        if summary.module == PerformanceSummary.xrdSiteStatisticsModule {
            var section = cmssw[PerformanceSummary.xrdSiteStatisticsModule] ?? [:]
            for entry in summary.metrics {
                var sites: [SiteMetric] = []
                if case .perSite(let existing) = section[entry.name] { sites = existing }
                sites.append(SiteMetric(site: metric, value: entry.value))
                section[entry.name] = .perSite(sites)
            }
            cmssw[PerformanceSummary.xrdSiteStatisticsModule] = section
        } else {
            var section = cmssw[metric] ?? [:]
            for entry in summary.metrics { section[entry.name] = MetricValue.cast(entry.value) }
            cmssw[metric] = section
        }
    }
}
