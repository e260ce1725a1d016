extension RequestValidator {
    /// Validates the `TaskN`/`StepN` dicts of a chain and stores their cast values in `values`.
    func validateChainItems(_ type: RequestType, chain: (countKey: String, prefix: String, nameKey: String, inputKey: String),
                            raw: [String: JSONValue], values: inout [String: JSONValue]) -> [RequestProblem] {
        var problems: [RequestProblem] = []
        let count = values[chain.countKey]?.intValue ?? 0
        for key in raw.keys.sorted() where RequestInput.isChainItem(key) && key.hasPrefix(chain.prefix) {
            let n = Int(key.dropFirst(chain.prefix.count)) ?? 0
            if n < 1 || n > count {
                problems.append(RequestProblem(field: key, found: raw[key], expected: "no such argument: \(chain.countKey) is \(count), "
                    + "so only \(chain.prefix)1...\(chain.prefix)\(count) are accepted"))
                values.removeValue(forKey: key)
            }
        }
        guard count >= 1 else { return problems }
        var names: [String] = []
        var configs: [String: TaskConfiguration] = [:]
        for n in 1...count {
            let key = "\(chain.prefix)\(n)"
            guard let itemRaw = raw[key]?.objectValue else {
                problems.append(RequestProblem(field: key, found: raw[key], expected: "an object describing \(chain.prefix.lowercased()) \(n)"))
                continue
            }
            let (itemValues, itemProblems) = Self.apply(RequestSpecs.chainItem(type), to: itemRaw, prefix: key + ".", extra: { _ in false })
            problems += itemProblems
            values[key] = .object(itemValues)
            let item = RequestArguments(itemValues)
            problems += Self.disjointProblems(item, prefix: key + ".")
            guard let name = item.string(chain.nameKey) else { continue }
            if names.contains(name) {
                problems.append(RequestProblem(field: "\(key).\(chain.nameKey)", value: name, expected: "a name no other \(chain.prefix.lowercased()) uses"))
            }
            names.append(name)
            if let id = item.string("ConfigCacheID") {
                if let config = configCache.configuration(id: id) { configs[name] = config } else {
                    problems += [configCache.lookupProblem(field: "\(key).ConfigCacheID", id: id)].compactMap { $0 }
                }
            }
            problems += inputProblems(item, key: key, index: n, chain: chain, earlier: Array(names.dropLast()), configs: configs)
        }
        return problems
    }

    /// The first item must say where its input comes from (a dataset, or a primary dataset and event count for
    /// generation); later ones must name an earlier item and one of its configuration's output modules.
    private func inputProblems(_ item: RequestArguments, key: String, index: Int,
                               chain: (countKey: String, prefix: String, nameKey: String, inputKey: String),
                               earlier: [String], configs: [String: TaskConfiguration]) -> [RequestProblem] {
        var problems: [RequestProblem] = []
        if index == 1 {
            if let parent = item[chain.inputKey] {
                problems.append(RequestProblem(field: "\(key).\(chain.inputKey)", found: parent,
                                               expected: "nothing: the first \(chain.prefix.lowercased()) reads a dataset or generates events"))
            }
            if item["InputDataset"] == nil {
                for needed in ["PrimaryDataset", "RequestNumEvents"] where item[needed] == nil {
                    problems.append(RequestProblem(field: "\(key).\(needed)", found: nil,
                                                   expected: "a mandatory argument of a generator \(chain.prefix.lowercased()) (no InputDataset)"))
                }
            }
            return problems
        }
        guard let parent = item.string(chain.inputKey) else {
            return [RequestProblem(field: "\(key).\(chain.inputKey)", found: nil, expected: "the name of an earlier \(chain.prefix.lowercased())")]
        }
        guard earlier.contains(parent) else {
            return [RequestProblem(field: "\(key).\(chain.inputKey)", value: parent,
                                   expected: "the name of an earlier \(chain.prefix.lowercased()) (\(earlier.joined(separator: ", ")))")]
        }
        guard let module = item.string("InputFromOutputModule") else {
            return [RequestProblem(field: "\(key).InputFromOutputModule", found: nil, expected: "an output module of \(parent)")]
        }
        if let config = configs[parent], config.outputModules[module] == nil {
            problems.append(RequestProblem(field: "\(key).InputFromOutputModule", value: module,
                expected: "an output module of \(parent)'s configuration (\(config.outputModules.keys.sorted().joined(separator: ", ")))"))
        }
        return problems
    }

    /// Config-cache ids and datasets the request names must exist; `IncludeParents` needs a parent dataset.
    func lookupProblems(_ type: RequestType, _ args: RequestArguments) -> [RequestProblem] {
        var problems: [RequestProblem] = []
        if type == .reReco, let id = args.string("ConfigCacheID"), let problem = configCache.lookupProblem(field: "ConfigCacheID", id: id) {
            problems.append(problem)
        }
        if type == .dqmHarvest || args.bool("EnableHarvesting") == true {
            if let id = args.string("DQMConfigCacheID") {
                if let problem = configCache.lookupProblem(field: "DQMConfigCacheID", id: id) { problems.append(problem) }
            } else if type != .dqmHarvest {
                problems.append(RequestProblem(field: "DQMConfigCacheID", found: nil, expected: "a config-cache id when EnableHarvesting is true"))
            }
        }
        let scopes = [("", args)] + args.chainItems.enumerated().map { ("\(type.chain!.prefix)\($0.offset + 1).", $0.element) }
        for (prefix, scope) in scopes {
            for key in ["InputDataset", "MCPileup", "DataPileup"] {
                guard let name = scope.string(key), DatasetName(name) != nil else { continue }
                guard let dataset = catalog.dataset(named: name) else {
                    problems.append(RequestProblem(field: prefix + key, value: name, expected: "a dataset the catalog (DBS) knows"))
                    continue
                }
                let includeParents = scope.bool("IncludeParents") ?? args.bool("IncludeParents") ?? false
                if key == "InputDataset" && includeParents && dataset.parent == nil {
                    problems.append(RequestProblem(field: prefix + "IncludeParents", value: "true",
                                                   expected: "false: \(name) has no parent dataset"))
                }
            }
        }
        return problems
    }
}
