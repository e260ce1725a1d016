import Foundation

extension FrameworkJobReport {
    /// The summary `wmctl fjr FILE --json` prints, as UTF-8 JSON with sorted keys:
    /// `{"exitCode", "errors", "inputFiles", "outputFiles", "skippedFiles", "fallbackFiles", "performance"}`.
    public func jsonSummary() -> Data { Data(jsonSummaryValue.serialized.utf8) }

    /// The summary as a `JSONValue` tree; see `jsonSummary()`.
    public var jsonSummaryValue: JSONValue {
        .object([
            "exitCode": .int(exitCode),
            "errors": .array(errors.map { error in
                .object(["type": .string(error.type), "exitStatus": .int(error.exitStatus), "details": .string(error.details)])
            }),
            "inputFiles": .array(inputFiles.map { file in
                .object(["lfn": .string(file.lfn), "pfn": .string(file.pfn), "guid": .string(file.guid),
                         "inputType": .string(file.inputType.rawValue), "events": .int(file.events),
                         "runs": Self.lumiLists(file.runs)])
            }),
            "outputFiles": .array(outputFiles.map { file in
                .object(["module": .string(file.moduleLabel), "lfn": .string(file.lfn), "pfn": .string(file.pfn),
                         "guid": .string(file.guid), "events": .int(file.events), "branchHash": .string(file.branchHash),
                         "runs": Self.lumiLists(file.runs), "eventsPerLumi": Self.eventsPerLumi(file.runs),
                         "inputs": .array(file.inputLFNs.map(JSONValue.string))])
            }),
            "skippedFiles": .array(skippedFiles.compactMap(\.lfn).map(JSONValue.string)),
            "fallbackFiles": .array(fallbackFiles.compactMap(\.lfn).map(JSONValue.string)),
            "performance": Self.performanceJSON(performance),
        ])
    }

    /// `{"RUN": [lumis ascending]}`.
    static func lumiLists(_ runs: RunLumiMap) -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: runs.runs.map { run in
            (String(run), JSONValue.array(runs.lumis(inRun: run).map(JSONValue.int)))
        }))
    }

    /// `{"RUN": {"LUMI": n or null}}`.
    static func eventsPerLumi(_ runs: RunLumiMap) -> JSONValue {
        .object(runs.eventsByRun.reduce(into: [:]) { result, entry in
            result[String(entry.key)] = .object(entry.value.reduce(into: [:]) { lumis, lumi in
                lumis[String(lumi.key)] = lumi.value.map(JSONValue.int) ?? .null
            })
        })
    }

    static func performanceJSON(_ metrics: PerformanceMetrics) -> JSONValue {
        .object([
            "memory": .object(metrics.memory.mapValues(JSONValue.string)),
            "cpu": .object(metrics.cpu.mapValues(JSONValue.string)),
            "storage": .object(metrics.storage.mapValues(JSONValue.double)),
            "cmssw": .object(metrics.cmssw.mapValues { section in .object(section.mapValues(metricJSON)) }),
        ])
    }

    static func metricJSON(_ value: MetricValue) -> JSONValue {
        switch value {
        case .bool(let flag): return .bool(flag)
        case .int(let number): return .int(number)
        case .double(let number): return .double(number)
        case .text(let text): return .string(text)
        case .perSite(let sites):
            return .array(sites.map { .object(["site": .string($0.site), "value": .string($0.value)]) })
        }
    }
}
