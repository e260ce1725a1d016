// The Stages module; see Package.swift for its role.
