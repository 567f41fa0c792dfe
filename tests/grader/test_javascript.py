"""Static facts come from the syntax tree: comments and strings never count."""

from grader.adapters.node.javascript import read_source_facts

COMMONJS = """
const { Worker, isMainThread, parentPort } = require('worker_threads');
if (isMainThread) {
  new Worker(__filename).on('message', (m) => console.log(m));
} else {
  parentPort.postMessage('hi');
}
"""

ES_MODULE = """
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
if (isMainThread) new Worker(new URL(import.meta.url));
else parentPort.postMessage('hi');
"""

ONLY_WORDS = """
// require('worker_threads'); isMainThread; new Worker(); postMessage()
const text = "require('worker_threads') isMainThread new Worker postMessage";
console.log(text);
"""


def test_commonjs_solution_has_every_fact():
    facts = read_source_facts(COMMONJS)
    assert facts.imports("worker_threads")
    assert "isMainThread" in facts.read_names
    assert "Worker" in facts.constructed
    assert "postMessage" in facts.called_methods
    assert not facts.is_es_module


def test_es_module_is_recognised_and_node_prefix_counts():
    facts = read_source_facts(ES_MODULE)
    assert facts.is_es_module
    assert facts.imports("worker_threads")
    assert "isMainThread" in facts.read_names
    assert "Worker" in facts.constructed


def test_keywords_in_comments_and_strings_do_not_count():
    facts = read_source_facts(ONLY_WORDS)
    assert not facts.imports("worker_threads")
    assert "isMainThread" not in facts.read_names
    assert "Worker" not in facts.constructed
    assert "postMessage" not in facts.called_methods


def test_destructuring_is_not_reading():
    facts = read_source_facts("const { isMainThread } = require('worker_threads');")
    assert "isMainThread" not in facts.read_names


def test_deep_nesting_does_not_crash_the_parser():
    facts = read_source_facts("x = " + "[" * 5000 + "]" * 5000 + ";")
    assert not facts.imports("worker_threads")
