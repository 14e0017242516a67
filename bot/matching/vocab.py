"""Word lists the matcher uses to tell a licence question from anything else.

Kept as plain data so they can be reviewed and tuned against `riderbot eval`.
"""

from __future__ import annotations

# Words that ask about permission or rules: a weak topic phrasing ("fine-tune") only counts when
# one of these is in the question ("can I fine-tune ...").
INTENT = frozenset(
    """
    can could may might allow allowed allows permit permitted permits permission ok okay legal legally
    legit illegal license licensed licensing licenses terms tos rights able forbidden prohibited ban banned
    restrict restricted restriction restrictions need must required require requirement requirements rule
    rules policy obligation obligations lawful fine safe compliant comply compliance violate violating
    against commercial commercially use free strings catch attached
    """.split()
)

# Words that make a question explicitly about the licence, even when it also has technical words.
LICENSE_WORDS = frozenset(
    """
    license licensed licensing licenses licensor licensee terms tos legal legally illegal allowed allow
    permitted permission permit commercial commercially rights policy prohibited forbidden banned
    restriction restrictions attribution copyright lawsuit sue agreement aup eula clause compliant
    comply compliance violate violating ownership owns own
    """.split()
)

# Signs of a technical or opinion question ("how do I fine-tune llama 3 with LoRA", "how much
# VRAM"). With one of these, a question is only answered when it also has a LICENSE_WORD.
TECH_CUES = frozenset(
    """
    vram gpu gpus ram cpu memory lora qlora peft quantize quantized quantization quant gguf ggml awq gptq
    exl2 prompt prompts template tokenizer context benchmark benchmarks mmlu install installing
    ollama vllm cuda error errors oom crash crashes speed fast faster slow slower better worse best
    recommend recommended hardware python pytorch script colab notebook epochs epoch
    hyperparameters batch config loss accuracy latency architecture layers grpo ppo rlhf dpo sft deepspeed fsdp
    trl unsloth axolotl
    """.split()
)
TECH_PHRASES = (("how", "do", "i"), ("how", "to"), ("how", "can", "i", "make"), ("which", "is"), ("what", "is", "the", "best"))
# A tech cue that is part of the matched topic phrasing ("lora" in "release my lora") does not veto.

# Short function words: never typo-corrected, never taken for an unknown model name.
STOPWORDS = frozenset(
    """
    a an the and or but if then than so to of in on at by for from with without into onto over under about
    as is are was were be been being am do does did doing done have has had having i me my mine we us our
    you your yours he she it its they them their this that these those there here what which who whom whose
    when where why how not no yes can could may might will would shall should must just also too very really
    any some all each every both either neither other another such only own same more most less least much
    many few lot lots one two three four five six ten hundred thousand million billion per via vs versus
    im ive id dont doesnt didnt cant wont isnt arent wasnt aint ya yall u ur pls plz please thx thanks ty
    hey hi hello yo sup guys folks anyone someone somebody everyone anybody ok okay yeah yep nope lol lmao
    tbh imo imho idk afaik iirc btw fyi rn ngl smth sth gonna wanna gotta kinda sorta like get got getting
    make made making use used using uses want need know think say said ask asking question wondering
    wonder tell told mean means meaning sure actually basically literally still even ever never always
    now today currently again already yet else etc eg ie whats wats hows whos thats theres
    wrt re regarding anyway
    """.split()
)

# Everyday chat and tech words people wrap around licence questions. Together with the words of
# the licence texts and the topic phrasings they make the "known words": a word outside them, in a
# question without a known model, is probably a model name we do not know.
CHAT_WORDS = frozenset(
    """
    model models llm llms ai ml bot bots chatbot discord server servers app apps application website site
    web api apis service services saas startup company companies business businesses product products
    project projects client clients customer customers user users team teams work job personal hobby
    open source weights weight checkpoint checkpoints repo repository huggingface hugging face hf github
    train trained training finetune finetuned finetuning fine tune tuned tuning lora adapter merge merged
    dataset datasets data synthetic output outputs generated generate generating generation text image
    images video audio voice speech code coding chat chats instruct instruction base vision multimodal
    small large medium mini tiny big huge new old latest version versions release released update updated
    commercial commercially commerce money paid pay paying free cost costs price sell selling sold profit
    revenue legal legally illegal license licensed licenses licensing licence terms policy policies
    allowed allow allows permitted permission rights right restriction restrictions restricted rules rule
    eu europe european us usa uk china country countries region
    quick short simple question questions answer answers help anybody guys thing things stuff way
    good bad fine safe risky risk problem issue issues okay cool nice great
    run running ran host hosting hosted deploy deployed deployment serve serving local locally cloud
    share sharing shared upload uploaded uploading publish published distribute distributing
    own owned owner owns ownership copyright copyrighted attribution credit name named naming brand
    mention mentioned display notice file files copy copies include included including
    sue sued suing lawsuit patent patents terminate terminated termination revoke revoked
    distill distilled distillation distilling teacher student
    generate generates generated art artwork picture pictures photo photos music song songs game games
    write writing wrote writer story stories book books blog article articles post posts content
    clone cloning agent agents assistant assistants tool tools plugin plugins extension extensions
    people person someone friend friends boss lawyer lawyers legal
    mine yours theirs ours myself yourself
    """.split()
)
