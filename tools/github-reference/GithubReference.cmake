# The GitHub reference data github-sim, the end-to-end tests and the benchmarks read: GitHub's REST
# description cut to the operations github-sim serves, real webhook payloads, webhook schemas. It is
# derived into the build tree (GITHUB_REFERENCE_DIR) from npm packages pinned in this folder, so a
# clone alone builds and tests: nothing is read from outside the repository and the build tree.
# scripts/setup installs the packages into .tools/github-reference/ (`npm ci`; the registry is needed
# once); the target github_reference runs derive.cjs on them. A target that reads the data at run
# time depends on github_reference.
set(github_reference_pins "${CMAKE_CURRENT_LIST_DIR}")
set(github_reference_installed "${PROJECT_SOURCE_DIR}/.tools/github-reference")
set(GITHUB_REFERENCE_DIR "${PROJECT_BINARY_DIR}/github-reference")

# Checked here rather than when the build needs the data, so the fix is named before a long build.
find_program(DEPLOY_NODE node)
if(NOT DEPLOY_NODE)
  message(FATAL_ERROR "node (Node.js 18 or newer) not found: it derives the GitHub reference data the "
                      "tests read. Run scripts/setup, or configure with -DDEPLOY_BUILD_TESTS=OFF.")
endif()
set(github_reference_lock "${github_reference_pins}/package-lock.json")
set(github_reference_installed_lock "${github_reference_installed}/installed-lock.json")
if(EXISTS "${github_reference_installed_lock}")
  file(SHA256 "${github_reference_lock}" pinned_hash)
  file(SHA256 "${github_reference_installed_lock}" installed_hash)
endif()
if(NOT EXISTS "${github_reference_installed_lock}" OR NOT pinned_hash STREQUAL installed_hash)
  message(FATAL_ERROR "The npm packages the GitHub reference data is derived from (pinned in "
                      "tools/github-reference/package-lock.json) are not installed in .tools/github-reference/, "
                      "or were installed from another lock file: run scripts/setup. (Building without the tests "
                      "needs none of it: -DDEPLOY_BUILD_TESTS=OFF.)")
endif()

# The selections name the output files; configure again when they, or the installed packages, change.
file(STRINGS "${github_reference_pins}/webhook-examples.txt" github_reference_examples REGEX "^[a-z]")
file(STRINGS "${github_reference_pins}/webhook-schemas.txt" github_reference_schemas REGEX "^[a-z]")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  "${github_reference_lock}" "${github_reference_installed_lock}"
  "${github_reference_pins}/webhook-examples.txt" "${github_reference_pins}/webhook-schemas.txt")

set(github_reference_outputs "${GITHUB_REFERENCE_DIR}/rest-api-subset.json")
foreach(name IN LISTS github_reference_examples)
  string(STRIP "${name}" name)
  list(APPEND github_reference_outputs "${GITHUB_REFERENCE_DIR}/webhook-examples/${name}.json")
endforeach()
foreach(name IN LISTS github_reference_schemas)
  string(STRIP "${name}" name)
  list(APPEND github_reference_outputs "${GITHUB_REFERENCE_DIR}/webhook-schemas/${name}.json")
endforeach()

add_custom_command(
  OUTPUT ${github_reference_outputs}
  COMMAND "${DEPLOY_NODE}" "${github_reference_pins}/derive.cjs" "${github_reference_installed}/node_modules"
          "${GITHUB_REFERENCE_DIR}"
  DEPENDS "${github_reference_pins}/derive.cjs" "${github_reference_pins}/rest-operations.txt"
          "${github_reference_pins}/webhook-examples.txt" "${github_reference_pins}/webhook-schemas.txt"
          "${github_reference_installed_lock}"
  COMMENT "Deriving the GitHub reference data into ${GITHUB_REFERENCE_DIR}"
  VERBATIM)
add_custom_target(github_reference DEPENDS ${github_reference_outputs})
