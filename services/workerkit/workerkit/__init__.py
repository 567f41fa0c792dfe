"""What every RQ worker of the platform shares: the grader's and the portal's results worker.

Kept apart from `contract`, which stays stdlib-only (messages, codec, queue names): this
package depends on RQ and redis-py.
"""
