"""Decorators in user code around the model call: `@retry` (re-calls with the error message appended),
`@memoize` (a dict keyed by the prompt), `@traced` (functools.wraps, logs to a list). A's answer fails
validation once inside the retried function (the retry prompt carries A's text: A->A), then feeds B;
the memoized second call of B with the same prompt returns B's cached answer, which reaches C. D is
memoized separately on a constant prompt (no edge).

expect: A->A A->B B->C
reply A: maybe
reply B: The answer is yes.
reply C: ok
reply D: ok
"""

import functools

import openai

client = openai.OpenAI(max_retries=0)
TRACE = []


def traced(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        TRACE.append(fn.__name__)
        return fn(*args, **kwargs)

    return wrapper


def retry(times):
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(prompt, *args, **kwargs):
            for attempt in range(times):
                try:
                    return fn(prompt, *args, **kwargs)
                except ValueError as error:
                    prompt = f"{prompt}\n(previous attempt {attempt + 1} failed: {error})"
            return None

        return wrapper

    return decorate


def memoize(fn):
    cache = {}

    @functools.wraps(fn)
    def wrapper(model, prompt):
        if (model, prompt) not in cache:
            cache[model, prompt] = fn(model, prompt)
        return cache[model, prompt]

    return wrapper


@traced
@memoize
def ask(model, prompt):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}]).choices[0].message.content


@retry(times=2)
def yes_no(prompt):
    answer = client.chat.completions.create(model="A", messages=[{"role": "user", "content": prompt}]).choices[0].message.content
    if answer.strip().lower() not in ("yes", "no") and "previous attempt" not in prompt:
        raise ValueError(f"expected yes/no, got {answer!r}")
    return answer


verdict = yes_no("Is the sky blue? yes/no")
explanation = ask("B", f"Explain the verdict: {verdict}")
again = ask("B", f"Explain the verdict: {verdict}")
assert again is explanation
ask("C", "Shorten: " + again)
ask("D", "Say ok")
ask("D", "Say ok")
