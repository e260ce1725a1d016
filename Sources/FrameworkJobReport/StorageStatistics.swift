import Foundation

/// WMCore's derivation of the `storage` figures from a `StorageStatistics` summary (`perfStoreHandler`).
enum StorageStatistics {
    /// A selected statistic whose value is not a number (WMCore's `float()` raises, failing the parse).
    struct NonNumericValue: Error {
        /// The metric name.
        let name: String
        /// The offending value.
        let value: String
    }

    /// Per-protocol statistics WMCore keeps: `Timing-<4 lowercase letters>-<rest…>` (prefix match).
    private static let protocolStatistics = [
        "read-totalMegabytes", "readv-totalMegabytes", "write-totalMegabytes", "writev-totalMegabytes",
        "read-totalMsecs", "readv-totalMsecs", "read-numOperations", "readv-numOperations",
        "write-numOperations", "writev-numOperations", "read-maxMsecs", "readv-maxMsecs",
    ]
    /// `tstoragefile` statistics WMCore keeps (prefix match).
    private static let storageFileStatistics = [
        "Timing-tstoragefile-readActual-numOperations", "Timing-tstoragefile-read-numOperations",
        "Timing-tstoragefile-readViaCache-numSuccessfulOperations", "Timing-tstoragefile-read-totalMsecs",
        "Timing-tstoragefile-write-totalMsecs",
    ]

    /// The protocol (`dcap`, `file`, …) of a `Timing-xxxx-<rest>` name whose rest starts with one of `suffixes`.
    private static func protocolName(of name: String, restStartsWithOneOf suffixes: [String]) -> Substring? {
        guard name.hasPrefix("Timing-") else { return nil }
        let afterTiming = name.dropFirst("Timing-".count)
        let method = afterTiming.prefix(4)
        guard method.count == 4, method.utf8.allSatisfy({ $0 >= 0x61 && $0 <= 0x7a }) else { return nil }
        let rest = afterTiming.dropFirst(4)
        guard rest.first == "-" else { return nil }
        let statistic = rest.dropFirst()
        return suffixes.contains(where: { statistic.hasPrefix($0) }) ? method : nil
    }

    /// The selected statistics as numbers, in first-seen order (later duplicates overwrite the value).
    static func selectedValues(_ metrics: [NamedMetric]) throws(NonNumericValue) -> [(name: String, value: Double)] {
        var order: [String] = []
        var values: [String: Double] = [:]
        for metric in metrics {
            let selected = protocolName(of: metric.name, restStartsWithOneOf: protocolStatistics) != nil
                || storageFileStatistics.contains(where: { metric.name.hasPrefix($0) })
            guard selected else { continue }
            let text = Trimming.trimmed(metric.value, .whitespaces)
            guard let number = Double(text) else { throw NonNumericValue(name: metric.name, value: metric.value) }
            if values.updateValue(number, forKey: metric.name) == nil { order.append(metric.name) }
        }
        return order.map { ($0, values[$0]!) }
    }

    /// The derived figures, or none when the summary has no `tstoragefile` read count (WMCore's ZeroDivisionError).
    static func derive(from metrics: [NamedMetric]) -> [String: Double] {
        guard let selected = try? selectedValues(metrics) else { return [:] }
        let values = Dictionary(selected, uniquingKeysWith: { _, new in new })
        func firstActiveMethod(_ operation: [String]) -> String {
            let match = selected.first { entry in
                entry.value != 0 && protocolName(of: entry.name, restStartsWithOneOf: operation) != nil
            }
            return match.flatMap { protocolName(of: $0.name, restStartsWithOneOf: operation) }.map(String.init) ?? "None"
        }
        let readMethod = firstActiveMethod(["read-numOperations", "readv-numOperations"])
        let writeMethod = firstActiveMethod(["write-numOperations", "writev-numOperations"])
        func value(_ name: String) -> Double { values[name] ?? 0 }
        func both(_ method: String, _ operation: String, _ statistic: String) -> (Double, Double) {
            (value("Timing-\(method)-\(operation)-\(statistic)"), value("Timing-\(method)-\(operation)v-\(statistic)"))
        }
        let readOperations = value("Timing-tstoragefile-read-numOperations")
        guard readOperations != 0 else { return [:] }
        let readMB = both(readMethod, "read", "totalMegabytes"), readMSecs = both(readMethod, "read", "totalMsecs")
        let reads = both(readMethod, "read", "numOperations"), readMax = both(readMethod, "read", "maxMsecs")
        let writeMB = both(writeMethod, "write", "totalMegabytes")
        let readTotalMB = readMB.0 + readMB.1, totalReadMSecs = readMSecs.0 + readMSecs.1
        let totalReads = reads.0 + reads.1
        return [
            "readTotalMB": readTotalMB,
            "readMBSec": totalReadMSecs > 0 ? readTotalMB / totalReadMSecs * 1000 : 0,
            "readAveragekB": totalReads > 0 ? 1024 * readTotalMB / totalReads : 0,
            "readMaxMSec": max(readMax.0, readMax.1),
            "readPercentageOps": value("Timing-tstoragefile-readActual-numOperations") / readOperations,
            "readTotalSecs": value("Timing-tstoragefile-read-totalMsecs") / 1000,
            "readNumOps": readOperations,
            "writeTotalSecs": value("Timing-tstoragefile-write-totalMsecs") / 1000,
            "writeTotalMB": writeMB.0 + writeMB.1,
            "readCachePercentageOps": value("Timing-tstoragefile-readViaCache-numSuccessfulOperations") / readOperations,
        ]
    }
}
