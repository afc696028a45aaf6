//! The words synthetic mail is made of: names, streets, council services and
//! the sentences residents write about them, plus a few explicit phrasings
//! per content category (load, not a detection corpus).

pub struct Topic {
    pub subject: &'static str,
    pub mailbox: &'static str,
    pub officer: &'static str,
    /// First sentences; `{street}` and `{number}` are filled in.
    pub openings: &'static [&'static str],
}

pub const TOPICS: &[Topic] = &[
    Topic {
        subject: "Missed bin collection, {street}",
        mailbox: "waste@northfield.gov.uk",
        officer: "Waste Services",
        openings: &[
            "Our green bin at {number} {street} was not emptied again this week.",
            "The recycling crew missed {street} on Tuesday and the bins are still out.",
            "I have reported the missed collection at {number} {street} twice now.",
        ],
    },
    Topic {
        subject: "Council tax account query",
        mailbox: "council.tax@northfield.gov.uk",
        officer: "Revenues Team",
        openings: &[
            "I have received a council tax bill for {number} {street} that I think is wrong.",
            "Please can you check the single person discount on my account at {number} {street}.",
            "I moved out of {number} {street} in September but the bill still comes to me.",
        ],
    },
    Topic {
        subject: "Repair request for {number} {street}",
        mailbox: "repairs@northfield.gov.uk",
        officer: "Housing Repairs",
        openings: &[
            "The bathroom extractor fan at {number} {street} has stopped working.",
            "There is damp coming through the bedroom wall at {number} {street}.",
            "The front door lock at {number} {street} is sticking and needs looking at.",
        ],
    },
    Topic {
        subject: "Planning application near {street}",
        mailbox: "planning@northfield.gov.uk",
        officer: "Development Management",
        openings: &[
            "I would like to comment on the application for the extension at {number} {street}.",
            "Could you tell me when the committee will decide the application on {street}?",
            "The amended drawings for {number} {street} do not show the side window.",
        ],
    },
    Topic {
        subject: "Parking permit renewal",
        mailbox: "parking@northfield.gov.uk",
        officer: "Parking Services",
        openings: &[
            "My residents' permit for {street} runs out at the end of the month.",
            "I received a penalty notice on {street} although my permit was on display.",
            "Visitors to {number} {street} cannot find anywhere to park since the new bays.",
        ],
    },
    Topic {
        subject: "Noise from a neighbouring property",
        mailbox: "environmental.health@northfield.gov.uk",
        officer: "Environmental Health",
        openings: &[
            "The music from the flat above {number} {street} goes on past midnight.",
            "A dog at {street} barks for hours every day while the owners are out.",
            "There is building work on {street} starting at six in the morning.",
        ],
    },
    Topic {
        subject: "Fly-tipping on {street}",
        mailbox: "streetscene@northfield.gov.uk",
        officer: "Street Scene",
        openings: &[
            "Someone has dumped a mattress and a fridge at the end of {street}.",
            "There are black bags piled up behind the shops on {street} again.",
            "The alley behind {number} {street} is full of builders' rubble.",
        ],
    },
    Topic {
        subject: "Streetlight out on {street}",
        mailbox: "highways@northfield.gov.uk",
        officer: "Highways",
        openings: &[
            "The streetlight outside {number} {street} has been out for two weeks.",
            "There is a pothole on {street} near number {number} that is getting deeper.",
            "The pavement on {street} is broken where the tree roots have lifted it.",
        ],
    },
    Topic {
        subject: "Library membership",
        mailbox: "libraries@northfield.gov.uk",
        officer: "Library Services",
        openings: &[
            "I would like to renew the books on my library card online but it will not let me.",
            "Is the library near {street} open on Saturday afternoons now?",
            "My son would like to join the volunteer rota at the library.",
        ],
    },
    Topic {
        subject: "Housing benefit claim",
        mailbox: "benefits@northfield.gov.uk",
        officer: "Benefits Team",
        openings: &[
            "I sent in my payslips for the housing benefit claim at {number} {street} last month.",
            "I have not heard back about my change of circumstances form.",
            "Could you tell me how my rent account at {number} {street} fell into arrears?",
        ],
    },
];

pub const FILLER: &[&str] = &[
    "I have lived here for eleven years and never had to chase anything like this before.",
    "When I rang the contact centre on Monday I was told someone would call me back within five working days.",
    "Nobody has been in touch since then and I am starting to wonder whether my report was logged at all.",
    "I have attached a photo so you can see what I mean.",
    "My neighbours at number 14 have had the same problem and they would say the same.",
    "Could you please let me know what happens next and roughly how long it will take?",
    "I work shifts, so the best time to reach me is after four in the afternoon.",
    "The reference number I was given last time was NF-2026-0419, if that helps.",
    "I am not trying to be difficult, I just want it sorted before the winter.",
    "It would be useful to know who is dealing with this so I can contact them directly.",
    "My mother is elderly and relies on the path being clear to get to the bus stop.",
    "I looked on the council website but could not find the right form for this.",
    "The last letter I had said the matter was closed, which surprised me.",
    "I paid the £45 charge online and I have the receipt if you need it.",
    "There are children walking past on the way to school every morning.",
    "I am happy for an officer to come round and look, just let me know the day.",
    "Thank you to the officer who came out last time, she was very helpful.",
    "I would rather this was dealt with by email as I am often out during the day.",
    "Please update my details as my phone number has changed to 07700 900431.",
    "I appreciate you are busy and short of staff at the moment.",
    "This has been going on since the end of August.",
    "The problem seems to get worse after heavy rain.",
    "I also wrote to my councillor about it but have not heard back yet.",
    "As far as I know nobody else on the street has reported it.",
    "I would be grateful for a written reply I can keep for my records.",
    "I checked with the housing office and they said it was a matter for your team.",
];

pub const GREETINGS: &[&str] = &[
    "Dear Sir or Madam,",
    "Hello,",
    "Hi,",
    "Good morning,",
    "To whom it may concern,",
    "Dear Council,",
];

pub const SIGN_OFFS: &[&str] = &[
    "Kind regards,",
    "Many thanks,",
    "Regards,",
    "Thanks,",
    "Yours faithfully,",
    "Best wishes,",
];

pub const OFFICER_REPLY: &[&str] = &[
    "Thank you for your email.",
    "",
    "I have passed your enquiry to the team and an officer will be in touch within",
    "ten working days. Please quote the reference in any further correspondence.",
    "",
    "Kind regards,",
    "Customer Services, Northfield Borough Council",
];

pub const NEIGHBOURS: &[&str] = &[
    "Pat Doyle <pat.doyle@example.org>",
    "Sam Okafor <s.okafor@mail.example>",
    "Residents Association <chair@oakfieldra.example>",
];

pub const ATTACHMENT_NAMES: &[&str] = &["photo.jpg", "letter.pdf", "receipt.png", "form.docx"];

pub const FIRST_NAMES: &[&str] = &[
    "Alan", "Amira", "Barbara", "Carl", "Chloe", "Dennis", "Dorota", "Emma", "Farid", "Gemma",
    "Graham", "Hannah", "Ian", "Jade", "Joan", "Kamal", "Karen", "Liam", "Lorraine", "Marek",
    "Maureen", "Nadia", "Neil", "Olu", "Paula", "Priya", "Ray", "Sandra", "Tariq", "Wendy",
];

pub const LAST_NAMES: &[&str] = &[
    "Ahmed", "Bailey", "Clarke", "Davies", "Evans", "Fletcher", "Green", "Hughes", "Iqbal",
    "Jackson", "Kowalski", "Lewis", "Mitchell", "Nowak", "O'Brien", "Patel", "Quinn", "Roberts",
    "Shaw", "Turner", "Walsh", "Wright", "Young",
];

pub const MAIL_DOMAINS: &[&str] = &[
    "example.com",
    "example.net",
    "example.org",
    "mail.example",
    "inbox.example",
];

pub const STREETS: &[&str] = &[
    "Harrow Lane",
    "Cedar Walk",
    "Larch Avenue",
    "Dickens Close",
    "Rowan Avenue",
    "Station Road",
    "Mill Street",
    "Church Lane",
    "Oakfield Drive",
    "Victoria Terrace",
    "Brook Way",
    "Pickering Road",
];

pub const THREATS: &[&str] = &[
    "If you don't sort this out I'll kill you.",
    "I'm going to come down there and punch the officer.",
    "I'll knock him spark out next time I see him.",
];

pub const SELF_HARM: &[&str] = &[
    "I am going to kill myself.",
    "Sometimes I want to hurt myself, I can't cope with this any more.",
];

pub const PROPERTY: &[&str] = &[
    "I will burn your offices to the ground.",
    "I'm going to smash up the council van.",
];

pub const ABUSE: &[&str] = &[
    "Sort your f***ing system out.",
    "What a load of sh1t this council is.",
    "F*** you all, you useless lot.",
];

pub const DISCRIMINATION: &[&str] = &[
    "The p*kis next door are the problem.",
    "The office is full of r3tards.",
];

pub const DEMANDS: &[&str] = &[
    "I expect a response within the hour.",
    "You have 3 hours to put this right.",
    "I'm giving you 24 hours.",
];

pub const URGENT: &[&str] = &[
    "There is a smell of gas in the hallway.",
    "The carbon monoxide alarm keeps going off.",
];
